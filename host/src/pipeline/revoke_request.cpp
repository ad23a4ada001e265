#include "pipeline/revoke_request.hpp"

#include <utility>

namespace signet::host {
namespace {

const std::vector<std::pair<std::string, RevocationReason>>& reasons() {
  static const std::vector<std::pair<std::string, RevocationReason>> table = {
      {"unspecified", RevocationReason::unspecified},
      {"key_compromise", RevocationReason::key_compromise},
      {"ca_compromise", RevocationReason::ca_compromise},
      {"affiliation_changed", RevocationReason::affiliation_changed},
      {"superseded", RevocationReason::superseded},
      {"cessation_of_operation", RevocationReason::cessation_of_operation},
      {"certificate_hold", RevocationReason::certificate_hold},
      {"privilege_withdrawn", RevocationReason::privilege_withdrawn},
      {"aa_compromise", RevocationReason::aa_compromise},
  };
  return table;
}

}  // namespace

std::optional<RevocationReason> revocation_reason_from(const std::string& name) {
  for (const auto& [n, r] : reasons())
    if (n == name) return r;
  return std::nullopt;
}

const std::vector<std::string>& revocation_reason_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : reasons()) out.push_back(entry.first);
    return out;
  }();
  return names;
}

nlohmann::json to_json(const RevokeInput& input) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : input.targets) {
    targets.push_back({{"id", t.id}, {"ca", t.ca}, {"serial", t.serial}, {"certificate", t.certificate_pem}, {"service", t.service}});
    if (t.external_ref.is_object()) targets.back()["external_ref"] = t.external_ref;
    if (!t.key_store.empty()) targets.back()["bundle"] = {{"store", t.key_store}, {"path", t.key_path}};
  }
  nlohmann::json out{{"targets", targets}, {"reason", input.reason}};
  if (input.invalidity_date) out["invalidity_date"] = to_unix_ms(*input.invalidity_date);
  return out;
}

RevokeInput revoke_input_from(const nlohmann::json& input) {
  RevokeInput out;
  out.reason = input.value("reason", "unspecified");
  if (input.contains("invalidity_date")) out.invalidity_date = from_unix_ms(input["invalidity_date"].get<std::int64_t>());
  for (const auto& t : input.value("targets", nlohmann::json::array())) {
    const auto bundle = t.value("bundle", nlohmann::json::object());
    out.targets.push_back({t.value("id", ""), t.value("ca", ""), t.value("serial", ""), t.value("certificate", ""),
                           t.value("service", ""), t.value("external_ref", nlohmann::json(nullptr)),
                           bundle.value("store", ""), bundle.value("path", "")});
  }
  return out;
}

}  // namespace signet::host
