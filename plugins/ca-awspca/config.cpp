#include "config.hpp"

#include <regex>

#include "templates.hpp"

namespace signet::awspca {

const char* const kConfigSchema = R"json({
  "type": "object",
  "properties": {
    "certificate_authority_arn": {"type": "string",
      "pattern": "^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority/[A-Za-z0-9-]+$",
      "description": "arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>"},
    "region": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]+$", "description": "default: the ARN's"},
    "endpoint_url": {"type": "string", "pattern": "^https?://", "description": "default: AWS_ENDPOINT_URL_ACM_PCA, AWS_ENDPOINT_URL, the regional endpoint"},
    "sts_endpoint_url": {"type": "string", "pattern": "^https?://", "description": "default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the regional endpoint"},
    "fips": {"type": "boolean", "default": false, "description": "use the FIPS endpoint (acm-pca-fips.<region>)"},
    "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle for AWS's TLS; default: AWS_CA_BUNDLE, else the system store"},
    "proxy": {"type": "string", "pattern": "^https?://", "description": "an HTTP proxy for every call to AWS, http://host:port"},
    "template": {"type": "string", "minLength": 1, "default": "EndEntityServerAuthCertificate/V1",
                 "description": "template name, e.g. EndEntityClientAuthCertificate/V1"},
    "template_arn": {"type": "string", "pattern": "^arn:aws[a-z-]*:acm-pca:::template/", "description": "instead of template"},
    "profile_templates": {"type": "object", "additionalProperties": true,
                          "description": "Signet profile name to template name, overriding template"},
    "signing_algorithm": {"type": "string", "enum": ["SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA",
                                                    "SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA"],
                          "description": "default: the CA's own"},
    "credentials": {"type": "object", "properties": {
      "access_key_id": {"type": "string", "minLength": 1},
      "secret_access_key": {"type": "string", "minLength": 1, "description": "use ${env:...} or ${file:...}"},
      "session_token": {"type": "string"}},
      "required": ["access_key_id", "secret_access_key"]},
    "profile": {"type": "string", "minLength": 1, "description": "a profile of the shared AWS files; default AWS_PROFILE"},
    "role_arn": {"type": "string", "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/", "description": "assume this role first"},
    "instance_metadata": {"type": "boolean", "default": true, "description": "try ECS and EC2 metadata credentials last"},
    "requests_per_second": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20},
    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300, "default": 10}
  },
  "required": ["certificate_authority_arn"],
  "additionalProperties": false
})json";

namespace {

std::string first_of(const Getenv& getenv, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (auto value = getenv(name); value && !value->empty()) return *value;
  return {};
}

bool loopback(const std::string& url) {
  static const std::regex local("^http://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?(/.*)?$");
  return std::regex_match(url, local);
}

std::string dns_suffix(const std::string& partition) { return partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"; }

}  // namespace

Result<AwspcaConfig> read_config(const nlohmann::json& c, const Getenv& getenv) {
  AwspcaConfig out;
  out.ca_arn = c.at("certificate_authority_arn").get<std::string>();
  // arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>
  std::vector<std::string> parts;
  for (std::size_t start = 0, colon; parts.size() < 5; start = colon + 1) {
    colon = out.ca_arn.find(':', start);
    parts.push_back(out.ca_arn.substr(start, colon - start));
  }
  out.partition = parts[1];
  out.region = c.value("region", parts[3]);
  out.ca_id = out.ca_arn.substr(out.ca_arn.rfind('/') + 1);

  const std::string service_host = c.value("fips", false) ? "acm-pca-fips." : "acm-pca.";
  out.endpoint = c.value("endpoint_url", first_of(getenv, {"AWS_ENDPOINT_URL_ACM_PCA", "AWS_ENDPOINT_URL"}));
  if (out.endpoint.empty()) out.endpoint = "https://" + service_host + out.region + "." + dns_suffix(out.partition);
  out.sts_endpoint = c.value("sts_endpoint_url", first_of(getenv, {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}));
  if (out.sts_endpoint.empty()) out.sts_endpoint = "https://sts." + out.region + "." + dns_suffix(out.partition);
  for (auto* url : {&out.endpoint, &out.sts_endpoint})
    while (url->ends_with("/")) url->pop_back();
  for (const auto& [key, url] : {std::pair{"/endpoint_url", out.endpoint}, std::pair{"/sts_endpoint_url", out.sts_endpoint}})
    if (url.rfind("http://", 0) == 0 && !loopback(url))
      return config_error("ca-awspca: plain HTTP endpoint", key, url + ": plain http is allowed only to this machine (a stand-in); use https");
  out.ca_file = c.value("ca_file", first_of(getenv, {"AWS_CA_BUNDLE"}));
  out.proxy = c.value("proxy", "");

  out.template_name = c.value("template", std::string("EndEntityServerAuthCertificate/V1"));
  out.template_arn = c.value("template_arn", template_arn(out.partition, out.template_name));
  out.template_name = template_name(out.template_arn);
  const nlohmann::json profile_templates = c.value("profile_templates", nlohmann::json::object());
  for (const auto& [profile, name] : profile_templates.items()) {
    if (!name.is_string() || name.get<std::string>().empty())
      return config_error("ca-awspca: bad profile_templates", "/profile_templates/" + profile, "must be a template name");
    out.profile_templates[profile] = template_name(name.get<std::string>());
  }
  out.signing_algorithm = c.value("signing_algorithm", "");

  if (c.contains("credentials")) {
    const auto& k = c["credentials"];
    out.credentials.explicit_keys = {k.value("access_key_id", ""), k.value("secret_access_key", ""), k.value("session_token", "")};
  }
  if (c.contains("credentials") && c.contains("profile"))
    return config_error("ca-awspca: two credential sources", "/profile", "give credentials or profile, not both");
  out.credentials.profile = c.value("profile", "");
  out.credentials.role_arn = c.value("role_arn", "");
  out.credentials.instance_metadata = c.value("instance_metadata", true);
  out.requests_per_second = c.value("requests_per_second", 20);
  out.timeout = std::chrono::seconds(c.value("timeout_seconds", 10));
  return out;
}

}  // namespace signet::awspca
