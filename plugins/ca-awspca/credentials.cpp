#include "credentials.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <nlohmann/json.hpp>

#include "sts.hpp"

namespace signet::awspca {
namespace {

namespace pt = boost::property_tree;

std::string env(const CredentialContext& c, const char* name) { return c.getenv(name).value_or(""); }

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  std::string out = text.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

const char* kSessionName = "signet-ca-awspca";

class ExplicitSource final : public CredentialSource {
 public:
  explicit ExplicitSource(AwsCredentials keys) : keys_(std::move(keys)) {}
  Result<std::optional<TimedCredentials>> fetch(const CredentialContext&) override {
    if (keys_.access_key_id.empty()) return std::optional<TimedCredentials>();
    return std::optional<TimedCredentials>(TimedCredentials{keys_, std::nullopt, "the instance's config"});
  }

 private:
  AwsCredentials keys_;
};

class EnvironmentSource final : public CredentialSource {
 public:
  Result<std::optional<TimedCredentials>> fetch(const CredentialContext& c) override {
    const std::string id = env(c, "AWS_ACCESS_KEY_ID"), secret = env(c, "AWS_SECRET_ACCESS_KEY");
    if (id.empty()) return std::optional<TimedCredentials>();
    if (secret.empty()) return make_error(ErrorCode::unauthenticated, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    return std::optional<TimedCredentials>(TimedCredentials{{id, secret, env(c, "AWS_SESSION_TOKEN")}, std::nullopt, "environment"});
  }
};

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: how EKS (IRSA) hands pods an identity.
class WebIdentitySource final : public CredentialSource {
 public:
  Result<std::optional<TimedCredentials>> fetch(const CredentialContext& c) override {
    const std::string file = env(c, "AWS_WEB_IDENTITY_TOKEN_FILE"), role = env(c, "AWS_ROLE_ARN");
    if (file.empty() || role.empty()) return std::optional<TimedCredentials>();
    const auto token = read_file(file);
    if (!token || token->empty()) return make_error(ErrorCode::unauthenticated, "cannot read the web identity token file " + file);
    const std::string session = env(c, "AWS_ROLE_SESSION_NAME");
    auto got = assume_role_with_web_identity(c, *token, role, session.empty() ? kSessionName : session);
    if (!got) return std::move(got).error();
    return std::optional<TimedCredentials>(std::move(got).value());
  }
};

// Metadata services answer the same JSON: AccessKeyId, SecretAccessKey, Token, Expiration.
Result<TimedCredentials> metadata_credentials(const std::string& body, const std::string& source) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("AccessKeyId") || !json.contains("SecretAccessKey"))
    return make_error(ErrorCode::unavailable, source + " answered without credentials");
  TimedCredentials out{{json.value("AccessKeyId", ""), json.value("SecretAccessKey", ""), json.value("Token", "")},
                       parse_iso8601(json.value("Expiration", "")), source};
  return out;
}

Result<HttpResponse> metadata_get(const CredentialContext& c, const std::string& url,
                                  std::vector<std::pair<std::string, std::string>> headers, const std::string& method = "GET") {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = std::move(headers);
  // Off AWS nothing answers these addresses: fail fast, as the SDKs do (1 s).
  request.options.timeout = std::chrono::seconds(2);
  request.options.connect_timeout = std::chrono::seconds(1);
  return c.http.send(request);
}

// ECS task roles: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI.
class ContainerSource final : public CredentialSource {
 public:
  Result<std::optional<TimedCredentials>> fetch(const CredentialContext& c) override {
    const std::string relative = env(c, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const std::string full = env(c, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative.empty() && full.empty()) return std::optional<TimedCredentials>();
    const std::string url = relative.empty() ? full : "http://169.254.170.2" + relative;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string token = env(c, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (const std::string file = env(c, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) token = read_file(file).value_or("");
    if (!token.empty()) headers.emplace_back("Authorization", token);
    auto response = metadata_get(c, url, headers);
    if (!response) return std::move(response).error();
    if (response->status != 200)
      return make_error(ErrorCode::unavailable, "the container credentials endpoint answered " + std::to_string(response->status));
    auto got = metadata_credentials(response->body, "container credentials");
    if (!got) return std::move(got).error();
    return std::optional<TimedCredentials>(std::move(got).value());
  }
};

// EC2 instance metadata, IMDSv2 only: a session token first (PUT), then the role's credentials.
class InstanceMetadataSource final : public CredentialSource {
 public:
  Result<std::optional<TimedCredentials>> fetch(const CredentialContext& c) override {
    if (env(c, "AWS_EC2_METADATA_DISABLED") == "true") return std::optional<TimedCredentials>();
    std::string base = env(c, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (base.empty()) base = "http://169.254.169.254";
    while (base.ends_with("/")) base.pop_back();
    auto token = metadata_get(c, base + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, "PUT");
    if (!token || token->status != 200) return std::optional<TimedCredentials>();  // not on EC2: nothing here
    const std::vector<std::pair<std::string, std::string>> auth{{"X-aws-ec2-metadata-token", token->body}};
    const std::string path = base + "/latest/meta-data/iam/security-credentials/";
    auto role = metadata_get(c, path, auth);
    if (!role) return std::move(role).error();
    if (role->status != 200 || role->body.empty())
      return make_error(ErrorCode::unauthenticated, "this EC2 instance has no IAM role (instance metadata answered " +
                                                        std::to_string(role->status) + ")");
    const std::string name = role->body.substr(0, role->body.find('\n'));
    auto credentials = metadata_get(c, path + name, auth);
    if (!credentials) return std::move(credentials).error();
    if (credentials->status != 200)
      return make_error(ErrorCode::unavailable, "instance metadata answered " + std::to_string(credentials->status) + " for role " + name);
    auto got = metadata_credentials(credentials->body, "instance role " + name);
    if (!got) return std::move(got).error();
    return std::optional<TimedCredentials>(std::move(got).value());
  }
};

// The shared config and credentials files, as the CLI reads them: the
// credentials file's [name] and the config file's [profile name] ([default]).
class ProfileSource final : public CredentialSource {
 public:
  explicit ProfileSource(std::string profile) : explicit_profile_(std::move(profile)) {}

  Result<std::optional<TimedCredentials>> fetch(const CredentialContext& c) override {
    std::string name = explicit_profile_;
    if (name.empty()) name = env(c, "AWS_PROFILE");
    const bool named = !name.empty();
    if (name.empty()) name = "default";
    const Profiles profiles = read_profiles(c);
    if (!profiles.count(name)) {
      if (named) return make_error(ErrorCode::unauthenticated, "AWS profile \"" + name + "\" is in neither shared file");
      return std::optional<TimedCredentials>();
    }
    std::set<std::string> seen;
    auto got = resolve(c, profiles, name, seen);
    if (!got) return std::move(got).error();
    return got;
  }

 private:
  using Profile = std::map<std::string, std::string>;
  using Profiles = std::map<std::string, Profile>;

  static void merge_file(const std::string& path, bool config_file, Profiles& out) {
    std::ifstream in(path);
    if (!in) return;
    pt::ptree tree;
    try {
      pt::read_ini(in, tree);
    } catch (const pt::ini_parser_error&) {
      return;  // an unreadable file is like none, as for the CLI's "unable to parse" it reports instead
    }
    for (const auto& [section, values] : tree) {
      std::string name = section;
      if (config_file && name.rfind("profile ", 0) == 0) name = name.substr(8);
      while (!name.empty() && name.front() == ' ') name.erase(name.begin());
      auto& profile = out[name];
      for (const auto& [key, value] : values)
        if (!profile.count(key)) profile[key] = value.data();  // the credentials file, read first, wins
    }
  }

  static Profiles read_profiles(const CredentialContext& c) {
    const std::string home = env(c, "HOME");
    std::string credentials = env(c, "AWS_SHARED_CREDENTIALS_FILE"), config = env(c, "AWS_CONFIG_FILE");
    if (credentials.empty()) credentials = home + "/.aws/credentials";
    if (config.empty()) config = home + "/.aws/config";
    Profiles profiles;
    merge_file(credentials, false, profiles);
    merge_file(config, true, profiles);
    return profiles;
  }

  static Result<std::optional<TimedCredentials>> resolve(const CredentialContext& c, const Profiles& profiles,
                                                         const std::string& name, std::set<std::string>& seen) {
    if (!seen.insert(name).second) return make_error(ErrorCode::unauthenticated, "AWS profile \"" + name + "\" names itself as its source");
    const auto found = profiles.find(name);
    if (found == profiles.end()) return make_error(ErrorCode::unauthenticated, "AWS profile \"" + name + "\" does not exist");
    const Profile& p = found->second;
    auto value = [&](const char* key) { const auto v = p.find(key); return v == p.end() ? std::string() : v->second; };
    const std::string role = value("role_arn"), session = value("role_session_name");
    const std::string session_name = session.empty() ? kSessionName : session;
    if (!role.empty() && !value("web_identity_token_file").empty()) {
      const auto token = read_file(value("web_identity_token_file"));
      if (!token) return make_error(ErrorCode::unauthenticated, "profile \"" + name + "\": cannot read its web_identity_token_file");
      auto got = assume_role_with_web_identity(c, *token, role, session_name);
      if (!got) return std::move(got).error();
      return std::optional<TimedCredentials>(std::move(got).value());
    }
    if (!role.empty()) {
      if (value("source_profile").empty())
        return make_error(ErrorCode::unauthenticated, "profile \"" + name + "\" has role_arn but no source_profile "
                                                      "(credential_source is not supported)");
      auto base = resolve(c, profiles, value("source_profile"), seen);
      if (!base) return std::move(base).error();
      if (!*base) return make_error(ErrorCode::unauthenticated, "profile \"" + value("source_profile") + "\" holds no keys");
      auto got = assume_role(c, base.value()->credentials, role, session_name);
      if (!got) return std::move(got).error();
      return std::optional<TimedCredentials>(std::move(got).value());
    }
    if (value("aws_access_key_id").empty()) return std::optional<TimedCredentials>();
    if (value("aws_secret_access_key").empty())
      return make_error(ErrorCode::unauthenticated, "profile \"" + name + "\" has aws_access_key_id but no aws_secret_access_key");
    return std::optional<TimedCredentials>(TimedCredentials{
        {value("aws_access_key_id"), value("aws_secret_access_key"), value("aws_session_token")}, std::nullopt, "profile " + name});
  }

  std::string explicit_profile_;
};

}  // namespace

CredentialChain::CredentialChain(CredentialContext context, const CredentialSettings& settings)
    : context_(std::move(context)), role_arn_(settings.role_arn) {
  sources_.push_back(std::make_unique<ExplicitSource>(settings.explicit_keys));
  if (settings.profile.empty()) sources_.push_back(std::make_unique<EnvironmentSource>());
  sources_.push_back(std::make_unique<ProfileSource>(settings.profile));
  if (settings.profile.empty()) sources_.push_back(std::make_unique<WebIdentitySource>());
  if (settings.instance_metadata && settings.profile.empty()) {
    sources_.push_back(std::make_unique<ContainerSource>());
    sources_.push_back(std::make_unique<InstanceMetadataSource>());
  }
}

Result<TimedCredentials> CredentialChain::fetch() {
  for (const auto& source : sources_) {
    auto got = source->fetch(context_);
    if (!got) return std::move(got).error();
    if (!*got) continue;
    if (role_arn_.empty()) return std::move(**got);
    return assume_role(context_, (*got)->credentials, role_arn_, kSessionName);
  }
  return make_error(ErrorCode::unauthenticated,
                    "no AWS credentials found: not in the config, the environment, the shared files, "
                    "web identity, or the container and instance metadata");
}

Result<AwsCredentials> CredentialChain::get() {
  std::lock_guard lock(mutex_);
  const TimePoint now = context_.clock.now();
  if (cached_ && (!cached_->expiration || now < refresh_at_)) return cached_->credentials;
  auto fresh = fetch();
  if (!fresh) {
    // Still valid credentials serve on while a refresh fails.
    if (cached_ && cached_->expiration && now < *cached_->expiration) return cached_->credentials;
    return std::move(fresh).error();
  }
  cached_ = std::move(fresh).value();
  if (cached_->expiration) {
    const auto lifetime = *cached_->expiration - now;
    refresh_at_ = *cached_->expiration - std::min<std::chrono::system_clock::duration>(std::chrono::minutes(5), lifetime / 4);
  }
  return cached_->credentials;
}

void CredentialChain::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
}

std::string CredentialChain::source() const {
  std::lock_guard lock(mutex_);
  return cached_ ? cached_->source : "";
}

}  // namespace signet::awspca
