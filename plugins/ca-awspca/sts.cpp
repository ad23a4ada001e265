#include "sts.hpp"

#include "aws_call.hpp"

#include <ctime>
#include <iomanip>
#include <sstream>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

namespace signet::awspca {
namespace {

namespace pt = boost::property_tree;

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out += (out.empty() ? "" : "&") + uri_encode(name) + "=" + uri_encode(value);
  return out;
}

// The Error element of an STS error answer, or the status when there is none.
std::string error_text(int status, const std::string& body) {
  try {
    std::istringstream in(body);
    pt::ptree tree;
    pt::read_xml(in, tree);
    const auto& error = tree.get_child("ErrorResponse.Error");
    return error.get<std::string>("Code", "") + ": " + error.get<std::string>("Message", "");
  } catch (const pt::ptree_error&) {
    return "HTTP " + std::to_string(status);
  }
}

Result<TimedCredentials> credentials_from(const std::string& action, const std::string& body, const std::string& source) {
  try {
    std::istringstream in(body);
    pt::ptree tree;
    pt::read_xml(in, tree);
    const auto& c = tree.get_child(action + "Response." + action + "Result.Credentials");
    TimedCredentials out{{c.get<std::string>("AccessKeyId"), c.get<std::string>("SecretAccessKey"),
                          c.get<std::string>("SessionToken")},
                         parse_iso8601(c.get<std::string>("Expiration")), source};
    if (!out.expiration) return make_error(ErrorCode::unavailable, "STS " + action + ": the answer's Expiration is unreadable");
    return out;
  } catch (const pt::ptree_error&) {
    return make_error(ErrorCode::unavailable, "STS " + action + ": the answer holds no credentials");
  }
}

Result<TimedCredentials> call(const CredentialContext& context, const std::string& action,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              const AwsCredentials* signer, const std::string& source) {
  HttpMessage message;
  message.body = form(fields);
  const std::string url = context.sts_endpoint;
  message.headers = {{"Host", authority_of(url)}, {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  if (signer) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(context.clock.now().time_since_epoch()).count();
    sign(message, *signer, {amz_date(now), context.region, "sts"});
  }
  HttpRequest request;
  request.method = "POST";
  request.url = url + "/";
  request.body = message.body;
  for (auto& header : message.headers)
    if (header.first != "Host") request.headers.push_back(header);
  request.options.timeout = std::chrono::seconds(10);
  request.options.ca_file = context.ca_file;
  request.options.proxy = context.proxy;
  auto response = context.http.send(request);
  if (!response) return std::move(response).error();
  if (response->status != 200) {
    const int status = response->status;
    // A refused identity is final; a busy or broken STS is worth another try.
    const ErrorCode code = status >= 500 || status == 429 ? ErrorCode::unavailable : ErrorCode::unauthenticated;
    return make_error(code, "STS " + action + " refused: " + error_text(status, response->body));
  }
  return credentials_from(action, response->body, source);
}

}  // namespace

std::optional<TimePoint> parse_iso8601(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<TimedCredentials> assume_role(const CredentialContext& context, const AwsCredentials& base,
                                     const std::string& role_arn, const std::string& session_name) {
  return call(context, "AssumeRole",
              {{"Action", "AssumeRole"}, {"Version", "2011-06-15"}, {"RoleArn", role_arn}, {"RoleSessionName", session_name}},
              &base, "role " + role_arn);
}

Result<TimedCredentials> assume_role_with_web_identity(const CredentialContext& context, const std::string& token,
                                                       const std::string& role_arn, const std::string& session_name) {
  return call(context, "AssumeRoleWithWebIdentity",
              {{"Action", "AssumeRoleWithWebIdentity"}, {"Version", "2011-06-15"}, {"RoleArn", role_arn},
               {"RoleSessionName", session_name}, {"WebIdentityToken", token}},
              nullptr, "web identity " + role_arn);
}

}  // namespace signet::awspca
