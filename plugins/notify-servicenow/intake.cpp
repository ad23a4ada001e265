#include "intake.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "writeback.hpp"

namespace signet::servicenow {
namespace {

// The correlation_id of an item Signet refused: not empty, so never offered again.
constexpr const char* kRefusedMark = "signet-refused";

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Error not_a_sys_id(const std::string& id) {
  return make_error(ErrorCode::invalid_argument, "\"" + id + "\" is not a ServiceNow sys_id");
}

// A field the row leaves out (an ACL may hide it) does not disqualify it;
// one that is there must say what the query asked for.
bool field_is(const nlohmann::json& row, const std::string& field, const std::string& expected) {
  return !row.contains(field) || field_text(row, field) == expected;
}

}  // namespace

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::string current;
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!current.empty()) names.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) names.push_back(current);
  return names;
}

Result<std::vector<OfferedRequest>> ServiceNowIntake::offers(std::size_t limit) {
  if (!config_.intake.enabled) return std::vector<OfferedRequest>{};
  return guard([&] { return fetch(limit); });
}

Result<void> ServiceNowIntake::taken(const OfferedRequest& offer, const std::string& request_id) {
  return guard([&] { return mark_taken(offer.ref.id, request_id); });
}

Result<void> ServiceNowIntake::refused(const OfferedRequest& offer, const Error& why) {
  return guard([&] { return mark_refused(offer.ref.id, why); });
}

Result<Approval> ServiceNowIntake::approval(const ExternalRef& ref) {
  return guard([&] { return read_approval(ref.id); });
}

Result<std::vector<OfferedRequest>> ServiceNowIntake::fetch(std::size_t limit) {
  const IntakeConfig& intake = config_.intake;
  std::vector<OfferedRequest> out;
  const std::size_t wanted = std::min(limit, intake.batch);
  if (wanted == 0 || intake.catalog_items.empty()) return out;
  std::string items;
  for (const auto& id : intake.catalog_items) items += (items.empty() ? "" : ",") + id;
  // correlation_id is set once Signet took (or refused) an item, so the
  // query itself leaves those out.
  std::string query = "cat_itemIN" + items + "^state=" + intake.state + "^correlation_idISEMPTY";
  if (intake.require_approval) query += "^approval=approved";
  query += "^ORDERBYsys_created_on";
  std::string fields = "sys_id,number,state,approval,cat_item,correlation_id,opened_by,requested_for";
  for (const auto& entry : intake.variables)
    if (!entry.second.empty()) fields += ",variables." + entry.second;
  auto rows = client_.get_records(config_.ticket.table, query, fields, wanted);
  if (!rows) return std::move(rows).error();
  std::set<std::string> seen;  // offset paging can show a row twice while records change
  for (const auto& row : *rows)
    if (offerable(row) && seen.insert(field_text(row, "sys_id")).second) out.push_back(offer_of(row));
  return out;
}

bool ServiceNowIntake::offerable(const nlohmann::json& row) const {
  const IntakeConfig& intake = config_.intake;
  const auto& items = intake.catalog_items;
  const bool listed = !row.contains("cat_item") ||
                      std::find(items.begin(), items.end(), field_text(row, "cat_item")) != items.end();
  return is_sys_id(field_text(row, "sys_id")) && listed && field_is(row, "correlation_id", "") &&
         field_is(row, "state", intake.state) && (!intake.require_approval || field_is(row, "approval", "approved"));
}

OfferedRequest ServiceNowIntake::offer_of(const nlohmann::json& row) const {
  const IntakeConfig& intake = config_.intake;
  // Variables come back as "variables.<name>" keys of the row.
  auto variable = [&intake, &row](const std::string& field) -> std::string {
    const auto found = intake.variables.find(field);
    if (found == intake.variables.end() || found->second.empty()) return {};
    return trim(field_text(row, "variables." + found->second));
  };
  OfferedRequest offer;
  offer.ref = ExternalRef{"servicenow", field_text(row, "sys_id"), field_text(row, "number")};
  offer.tenant = intake.tenant;
  offer.requested_by = field_text(row, "opened_by");
  if (offer.requested_by.empty()) offer.requested_by = field_text(row, "requested_for");
  // What POST /v1/certificates takes; the host adds external_ref itself.
  nlohmann::json body = nlohmann::json::object();
  if (const std::string cn = variable("common_name"); !cn.empty()) body["common_name"] = cn;
  if (const auto dns = split_names(variable("dns")); !dns.empty()) body["sans"] = {{"dns", dns}};
  if (const std::string ttl = variable("ttl"); !ttl.empty()) body["ttl"] = ttl;
  const std::string profile = variable("profile");
  body["profile"] = profile.empty() ? intake.default_profile : profile;
  if (const std::string service = variable("service"); !service.empty()) body["service"] = service;
  nlohmann::json metadata = nlohmann::json::object();
  if (const std::string owner = variable("owner"); !owner.empty()) metadata["owner"] = owner;
  if (const std::string unit = variable("business_unit"); !unit.empty()) metadata["business_unit"] = unit;
  if (!offer.ref.number.empty()) metadata["ticket"] = offer.ref.number;
  if (!metadata.empty()) body["metadata"] = std::move(metadata);
  offer.body = std::move(body);
  return offer;
}

Result<void> ServiceNowIntake::mark_taken(const std::string& ritm, const std::string& request_id) {
  if (!is_sys_id(ritm)) return not_a_sys_id(ritm);
  const TicketConfig& ticket = config_.ticket;
  auto record = client_.get_record(ticket.table, ritm, "correlation_id");
  if (!record) return std::move(record).error();
  if (field_text(*record, "correlation_id") == request_id) return {};
  // One PATCH: the correlation_id that stops the item being offered again
  // and the note that says so land together or not at all, so the check
  // above is all a retry needs.
  const std::string note = "Signet took this request as " + request_id + "\n[signet intake " + request_id + "]";
  auto updated = client_.update(ticket.table, ritm,
                                nlohmann::json{{"correlation_id", request_id},
                                               {"correlation_display", ticket.correlation_display},
                                               {"work_notes", note}});
  if (!updated) return std::move(updated).error();
  return {};
}

Result<void> ServiceNowIntake::mark_refused(const std::string& ritm, const Error& why) {
  if (!is_sys_id(ritm)) return not_a_sys_id(ritm);
  const TicketConfig& ticket = config_.ticket;
  if (auto noted = add_work_note(client_, ticket.table, ritm, "Signet refused this request: " + why.message, "signet refused " + ritm);
      !noted)
    return noted;
  if (auto closed = close_request_item(client_, ticket, ritm, ticket.incomplete_state); !closed) return closed;
  // Marked last: until this lands the item may be offered again, and the
  // host refuses it again, which repeats nothing above.
  auto marked = client_.update(ticket.table, ritm,
                               nlohmann::json{{"correlation_id", kRefusedMark}, {"correlation_display", ticket.correlation_display}});
  if (!marked) return std::move(marked).error();
  return {};
}

Result<Approval> ServiceNowIntake::read_approval(const std::string& ritm) {
  if (!is_sys_id(ritm)) return not_a_sys_id(ritm);
  // Read now, never cached: an approver may have changed it a second ago.
  auto record = client_.get_record(config_.ticket.table, ritm, "approval");
  if (!record) return std::move(record).error();
  const std::string value = field_text(*record, "approval");
  if (value == "approved") return Approval::approved;
  if (value == "requested") return Approval::requested;
  if (value == "rejected" || value == "cancelled") return Approval::rejected;
  if (value == "not requested" || value == "not_required" || value.empty()) return Approval::not_required;
  return make_error(ErrorCode::internal, "ServiceNow's approval \"" + value + "\" on " + config_.ticket.table + " " + ritm +
                                             " is not one Signet knows");
}

}  // namespace signet::servicenow
