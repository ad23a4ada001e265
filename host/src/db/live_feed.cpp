#include "db/live_feed.hpp"

#include <algorithm>

#include <encoding/base64url.hpp>

#include "db/certificates.hpp"
#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// A certificate row's latest change, told by what it says now.
std::string certificate_change(const CertificateRow& c) {
  if (c.status == "revoked") return "certificate.revoked";
  if (c.status == "expired") return "certificate.expired";
  if (!c.renewed_by.empty()) return "certificate.renewed";
  return "certificate.issued";
}

void read_certificates(Database& db, const std::string& tenant, const std::string& service, FeedCursor::Position& at,
                       int limit, std::vector<FeedItem>& out) {
  auto page = list_certificate_updates(db, tenant, service, at.ms, at.id, limit);
  if (!page) throw std::runtime_error(page.error().message);
  for (const auto& c : page->items)
    out.push_back({certificate_change(c), to_unix_ms(c.updated_at), c.tenant_id,
                   {{"certificate_id", c.id}, {"common_name", c.common_name}, {"status", c.status}, {"serial", c.serial},
                    {"renewed_by", c.renewed_by.empty() ? json(nullptr) : json(c.renewed_by)},
                    {"request_id", c.request_id}}});
  if (!page->items.empty()) at = {page->last_ms, page->last_id};
}

// Rows of `table` after the position, in (updated_at, id) order; `each` reads one.
void read_after(soci::session& s, const std::string& table, const std::string& columns, const std::string& tenant,
                const std::string& extra, FeedCursor::Position& at, int limit, const std::function<void(const soci::row&)>& each) {
  FilterQuery q;
  q.also("tenant_id = " + q.bind(tenant));
  if (!extra.empty()) q.also(extra);
  q.also("(updated_at > " + q.bind(at.ms) + " OR (updated_at = " + q.bind(at.ms) + " AND id > " + q.bind(at.id) + "))");
  q.run(s, "SELECT " + columns + ", updated_at, id FROM " + table + " WHERE " + q.where() + " ORDER BY updated_at, id LIMIT " +
               std::to_string(limit),
        [&](const soci::row& r) {
          each(r);
          at = {number_at(r, r.size() - 2), r.get<std::string>(r.size() - 1)};
        });
}

}  // namespace

std::string encode_feed_cursor(const FeedCursor& c) {
  const json j = {{"c", {c.certificates.ms, c.certificates.id}}, {"r", {c.requests.ms, c.requests.id}},
                  {"d", {c.deliveries.ms, c.deliveries.id}}};
  return encoding::base64url(j.dump());
}

std::optional<FeedCursor> decode_feed_cursor(const std::string& text) {
  const json j = json::parse(encoding::base64url_decode(text), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  FeedCursor c;
  for (auto [key, into] : {std::pair{"c", &c.certificates}, {"r", &c.requests}, {"d", &c.deliveries}}) {
    const json p = j.value(key, json());
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_string()) return std::nullopt;
    *into = {p[0].get<long long>(), p[1].get<std::string>()};
  }
  return c;
}

FeedCursor feed_cursor_at(long long ms) { return {{ms, ""}, {ms, ""}, {ms, ""}}; }

Result<std::vector<FeedItem>> read_feed(Database& db, const std::vector<std::string>& tenant_ids, const std::string& service,
                                        FeedCursor& cursor, int limit) {
  std::vector<FeedItem> out;
  FeedCursor moved = cursor;
  try {
    for (const auto& tenant : tenant_ids) read_certificates(db, tenant, service, moved.certificates, limit, out);
    if (!service.empty()) {  // a service sees its certificates, not the tenant's requests
      cursor = moved;
      return out;
    }
    Connection connection(db);
    soci::session& s = *connection;
    for (const auto& tenant : tenant_ids) {
      read_after(s, "requests", "tenant_id, operation, status, certificate_id, error_code", tenant, "", moved.requests, limit,
                 [&](const soci::row& r) {
                   out.push_back({"request.status", number_at(r, 5), r.get<std::string>(0),
                                  {{"request_id", r.get<std::string>(6)}, {"operation", r.get<std::string>(1)},
                                   {"status", r.get<std::string>(2)}, {"certificate_id", text_at(r, 3)},
                                   {"error", text_at(r, 4)}}});
                 });
      read_after(s, "notifications", "tenant_id, notifier, reason, event_id", tenant, "status = 'failed'", moved.deliveries,
                 limit, [&](const soci::row& r) {
                   out.push_back({"delivery.failed", number_at(r, 4), r.get<std::string>(0),
                                  {{"notification_id", r.get<std::string>(5)}, {"notifier", r.get<std::string>(1)},
                                   {"reason", text_at(r, 2)}, {"event_id", r.get<std::string>(3)}}});
                 });
    }
  } catch (const std::exception& e) {
    return database_error(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const FeedItem& a, const FeedItem& b) { return a.ms < b.ms; });
  cursor = moved;
  return out;
}

}  // namespace signet::host
