#include "templates.hpp"

#include <algorithm>
#include <map>

namespace signet::awspca {
namespace {

// The extended key usages each fixed template puts in a certificate.
const std::map<std::string, std::vector<std::string>>& fixed_templates() {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"EndEntityCertificate/V1", {"server_auth", "client_auth"}},
      {"EndEntityServerAuthCertificate/V1", {"server_auth"}},
      {"EndEntityClientAuthCertificate/V1", {"client_auth"}},
      {"CodeSigningCertificate/V1", {"code_signing"}},
      {"OCSPSigningCertificate/V1", {"ocsp_signing"}},
  };
  return table;
}

std::string base_name(const std::string& name) { return name.substr(0, name.find('/')); }

}  // namespace

std::string template_arn(const std::string& partition, const std::string& name) {
  return "arn:" + partition + ":acm-pca:::template/" + name;
}

std::string template_name(const std::string& arn_or_name) {
  const auto at = arn_or_name.find(":template/");
  return at == std::string::npos ? arn_or_name : arn_or_name.substr(at + 10);
}

bool takes_passthrough(const std::string& name) {
  const std::string base = base_name(name);
  return base.find("APIPassthrough") != std::string::npos || base.find("APICSRPassthrough") != std::string::npos;
}

std::optional<std::string> template_refusal(const std::string& name, const IssuancePolicy& policy) {
  if (takes_passthrough(name)) return std::nullopt;
  const auto found = fixed_templates().find(name);
  if (found == fixed_templates().end()) return std::nullopt;
  for (const auto& usage : policy.extended_key_usage)
    if (std::find(found->second.begin(), found->second.end(), usage) == found->second.end())
      return "AWS template " + name + " cannot carry extended key usage " + usage + " that profile \"" + policy.profile +
             "\" asks for; name a template that can (an APIPassthrough one carries the profile's usages)";
  return std::nullopt;
}

nlohmann::json api_passthrough(const SignRequest& request) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& d : request.sans.dns) names.push_back({{"DnsName", d}});
  for (const auto& i : request.sans.ip) names.push_back({{"IpAddress", i}});
  for (const auto& e : request.sans.email) names.push_back({{"Rfc822Name", e}});
  for (const auto& u : request.sans.uri) names.push_back({{"UniformResourceIdentifier", u}});
  static const std::map<std::string, std::string> key_usage = {
      {"digital_signature", "DigitalSignature"}, {"content_commitment", "NonRepudiation"},
      {"key_encipherment", "KeyEncipherment"}, {"data_encipherment", "DataEncipherment"},
      {"key_agreement", "KeyAgreement"}};
  static const std::map<std::string, std::string> extended = {
      {"server_auth", "SERVER_AUTH"}, {"client_auth", "CLIENT_AUTH"}, {"code_signing", "CODE_SIGNING"},
      {"email_protection", "EMAIL_PROTECTION"}, {"time_stamping", "TIME_STAMPING"}, {"ocsp_signing", "OCSP_SIGNING"}};
  nlohmann::json extensions = nlohmann::json::object();
  if (!names.empty()) extensions["SubjectAlternativeNames"] = names;
  nlohmann::json usages = nlohmann::json::object();
  for (const auto& u : request.policy.key_usage)
    if (const auto found = key_usage.find(u); found != key_usage.end()) usages[found->second] = true;
  if (!usages.empty()) extensions["KeyUsage"] = usages;
  nlohmann::json ekus = nlohmann::json::array();
  for (const auto& u : request.policy.extended_key_usage)
    if (const auto found = extended.find(u); found != extended.end()) ekus.push_back({{"ExtendedKeyUsageType", found->second}});
  if (!ekus.empty()) extensions["ExtendedKeyUsage"] = ekus;
  nlohmann::json passthrough = {{"Extensions", extensions}};
  if (!request.common_name.empty()) passthrough["Subject"] = {{"CommonName", request.common_name}};
  return passthrough;
}

}  // namespace signet::awspca
