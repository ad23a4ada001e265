#include "db/request_state.hpp"

#include <array>
#include <string_view>

namespace signet::host {
namespace {

using nlohmann::json;

// The keys this version reads; everything else is kept in `unknown`.
constexpr std::array<std::string_view, 19> kKnown = {
    "certificate_id", "policy_epoch", "caller", "csr", "key_store", "key_path", "crl_shard", "certificate_pem", "chain",
    "ca", "serial", "not_before", "not_after", "revoked_at_ca", "not_revoked", "revoked", "reason", "approval",
    "unmarked_bundles"};

bool known(const std::string& key) {
  for (const auto k : kKnown)
    if (k == key) return true;
  return false;
}

std::string text_at(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> texts_at(const json& j, const char* key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& item : *it)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

void set_text(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

void set_texts(json& j, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) j[key] = values;
}

RequestCaller caller_from(const json& j) {
  const auto it = j.find("caller");
  if (it == j.end() || !it->is_object()) return {};
  return {text_at(*it, "auth"), text_at(*it, "source"), text_at(*it, "principal")};
}

std::vector<NotRevoked> not_revoked_from(const json& j, const char* key) {
  std::vector<NotRevoked> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (!item.is_object()) continue;
    const auto error = item.find("error");
    const json none = json::object();
    const json& e = error != item.end() && error->is_object() ? *error : none;
    out.push_back({text_at(item, "id"), text_at(e, "code"), text_at(e, "message")});
  }
  return out;
}

json to_json(const ApprovalState& a) {
  json j = {{"min_approvals", a.min_approvals}, {"approvers", a.approvers}, {"self_approval", a.self_approval}};
  set_text(j, "from", a.from);
  set_text(j, "outcome", a.outcome);
  set_text(j, "decided_by", a.decided_by);
  set_text(j, "comment", a.comment);
  return j;
}

std::optional<ApprovalState> approval_from(const json& j) {
  const auto it = j.find("approval");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  ApprovalState a;
  if (const auto m = it->find("min_approvals"); m != it->end() && m->is_number_integer()) a.min_approvals = m->get<int>();
  a.approvers = texts_at(*it, "approvers");
  if (const auto self = it->find("self_approval"); self != it->end() && self->is_boolean()) a.self_approval = self->get<bool>();
  a.from = text_at(*it, "from");
  a.outcome = text_at(*it, "outcome");
  a.decided_by = text_at(*it, "decided_by");
  a.comment = text_at(*it, "comment");
  return a;
}

}  // namespace

json to_json(const std::vector<NotRevoked>& refused) {
  json out = json::array();
  for (const auto& r : refused) out.push_back({{"id", r.id}, {"error", {{"code", r.error_code}, {"message", r.error_message}}}});
  return out;
}

json to_json(const RequestState& s) {
  json j = s.unknown.is_object() ? s.unknown : json::object();
  set_text(j, "certificate_id", s.certificate_id);
  set_text(j, "policy_epoch", s.policy_epoch);
  if (!s.caller.auth.empty() || !s.caller.source.empty() || !s.caller.principal.empty()) {
    json caller = {{"auth", s.caller.auth}, {"source", s.caller.source}};
    set_text(caller, "principal", s.caller.principal);
    j["caller"] = std::move(caller);
  }
  set_text(j, "csr", s.csr);
  set_text(j, "key_store", s.key_store);
  set_text(j, "key_path", s.key_path);
  if (s.crl_shard) j["crl_shard"] = *s.crl_shard;
  set_text(j, "certificate_pem", s.certificate_pem);
  set_texts(j, "chain", s.chain);
  set_text(j, "ca", s.ca);
  set_text(j, "serial", s.serial);
  set_text(j, "not_before", s.not_before);
  set_text(j, "not_after", s.not_after);
  set_texts(j, "revoked_at_ca", s.revoked_at_ca);
  if (!s.not_revoked.empty()) j["not_revoked"] = to_json(s.not_revoked);
  if (!s.unmarked_bundles.empty()) j["unmarked_bundles"] = to_json(s.unmarked_bundles);
  set_texts(j, "revoked", s.revoked);
  set_text(j, "reason", s.reason);
  if (s.approval) j["approval"] = to_json(*s.approval);
  return j;
}

RequestState request_state_from(const json& j) {
  RequestState s;
  if (!j.is_object()) return s;
  s.certificate_id = text_at(j, "certificate_id");
  s.policy_epoch = text_at(j, "policy_epoch");
  s.caller = caller_from(j);
  s.csr = text_at(j, "csr");
  s.key_store = text_at(j, "key_store");
  s.key_path = text_at(j, "key_path");
  if (const auto shard = j.find("crl_shard"); shard != j.end() && shard->is_number_integer())
    s.crl_shard = shard->get<int>();
  s.certificate_pem = text_at(j, "certificate_pem");
  s.chain = texts_at(j, "chain");
  s.ca = text_at(j, "ca");
  s.serial = text_at(j, "serial");
  s.not_before = text_at(j, "not_before");
  s.not_after = text_at(j, "not_after");
  s.revoked_at_ca = texts_at(j, "revoked_at_ca");
  s.not_revoked = not_revoked_from(j, "not_revoked");
  s.unmarked_bundles = not_revoked_from(j, "unmarked_bundles");
  s.revoked = texts_at(j, "revoked");
  s.reason = text_at(j, "reason");
  s.approval = approval_from(j);
  for (const auto& [key, value] : j.items())
    if (!known(key)) s.unknown[key] = value;
  return s;
}

}  // namespace signet::host
