// AWS Private CA certificate templates (docs.aws.amazon.com/privateca/
// latest/userguide/UsingTemplates.html): named in the config, never guessed
// from key usages (aws-privateca-issuer#460: a guessed template surfaced as
// a misleading AccessDenied on shared CAs).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/ca.hpp>

namespace signet::awspca {

// "arn:<partition>:acm-pca:::template/<name>" ("EndEntityServerAuthCertificate/V1").
std::string template_arn(const std::string& partition, const std::string& name);
// The name inside a template ARN; the text itself when it is no ARN.
std::string template_name(const std::string& arn_or_name);

// Why `policy` asks for something the template cannot carry (a message that
// names the template), or nullopt. Templates not in the table are trusted.
std::optional<std::string> template_refusal(const std::string& name, const IssuancePolicy& policy);

// Whether the template takes the request's names and usages from
// ApiPassthrough (the "APIPassthrough" and "APICSRPassthrough" families).
bool takes_passthrough(const std::string& name);
// ApiPassthrough for such a template: SANs, key usage, extended key usage
// and the common name of the request.
nlohmann::json api_passthrough(const SignRequest& request);

}  // namespace signet::awspca
