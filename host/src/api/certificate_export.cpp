// GET /v1/certificates/export.csv: the inventory view a filter selects, as
// CSV (RFC 4180) for spreadsheets and reports. It takes every parameter of
// GET /v1/certificates (q included) and walks all pages, up to
// kMaxRows; past that the answer says it was cut short.
#include "api/api.hpp"
#include "api/certificate_search.hpp"
#include "api/views.hpp"
#include "db/certificates.hpp"

namespace signet::host {
namespace {

constexpr std::size_t kMaxRows = 100'000;

// RFC 4180 §2: a field with a comma, quote or line break is quoted, quotes doubled.
// A leading =, +, - or @ is prefixed with ' so a spreadsheet never runs it as a formula.
std::string field(std::string text) {
  if (!text.empty() && std::string("=+-@").find(text.front()) != std::string::npos) text.insert(text.begin(), '\'');
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string sans_of(const nlohmann::json& sans) {
  std::string out;
  for (const char* kind : {"dns", "ip", "email", "uri"})
    for (const auto& v : sans.value(kind, nlohmann::json::array())) out += (out.empty() ? "" : " ") + v.get<std::string>();
  return out;
}

std::string row_of(const CertificateRow& c, TimePoint now) {
  const std::string shown = shown_status(c, now);
  const std::string status = shown == "active" && !c.renewed_by.empty() ? "superseded" : shown;
  const long long days = std::chrono::duration_cast<std::chrono::hours>(c.not_after - now).count() / 24;
  const std::vector<std::string> fields = {c.id, c.common_name, sans_of(c.sans), c.ca, c.profile, c.serial,
                                           to_rfc3339(c.not_before), to_rfc3339(c.not_after), std::to_string(days), status,
                                           c.key_type, c.key_bits ? std::to_string(c.key_bits) : "", c.service, c.renewed_by,
                                           c.revoked_at ? to_rfc3339(*c.revoked_at) : "", c.revocation_reason};
  std::string line;
  for (const auto& f : fields) line += (line.empty() ? "" : ",") + field(f);
  return line + "\r\n";
}

HttpResponseMessage export_csv(RequestContext& context, const ApiDependencies& deps) {
  const TimePoint now = Clock::now();
  CertificateSearch search;
  if (auto bad = read_certificate_search(context, deps, search, now)) return error_response(*bad, context.request_id);
  auto tenant = acting_tenant(context, deps.db, search.tenant);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  std::string body =
      "id,common_name,subject_alt_names,ca,profile,serial,not_before,not_after,days_left,status,key_type,key_bits,owner,"
      "replaced_by,revoked_at,revocation_reason\r\n";
  search.filter.limit = 1000;
  std::size_t rows = 0;
  bool truncated = false;
  for (;;) {
    auto page = list_certificates(deps.db, tenant.value(), search.filter, now);
    if (!page) return error_response(host_error(page.error()), context.request_id);
    for (const auto& c : page->items) body += row_of(c, now);
    rows += page->items.size();
    if (page->next_cursor.empty()) break;
    if (rows >= kMaxRows) {
      truncated = true;
      break;
    }
    search.filter.cursor = page->next_cursor;
  }
  auto response = text_response(http::status::ok, std::move(body), "text/csv; charset=utf-8; header=present");
  response.set(http::field::content_disposition, "attachment; filename=\"certificates.csv\"");
  response.set("X-Signet-Rows", std::to_string(rows));
  if (truncated) response.set("X-Signet-Truncated", "true");
  return response;
}

}  // namespace

void add_certificate_export_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/certificates/export.csv", [deps](RequestContext& c) { return export_csv(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
