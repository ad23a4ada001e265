// The credential chain's order and the shared files, as the AWS CLI reads
// them, without a network: the sources that need none (the config, the
// environment, the files). STS, ECS and IMDS are tested against the AWS
// stand-in (tests/e2e/awspca_test.cpp).
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "credentials.hpp"
#include "services/clock.hpp"

namespace signet::awspca {
namespace {

// No source here may reach the network: any call fails the test.
class NoNetwork final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest& request) override {
    ADD_FAILURE() << "unexpected network call to " << request.url;
    return make_error(ErrorCode::unavailable, "no network in this test");
  }
};

class CredentialChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("signet-aws-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / ".aws");
    env_ = {{"HOME", dir_.string()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / ".aws" / name) << text; }

  Result<AwsCredentials> get(const CredentialSettings& settings = {}) {
    CredentialContext context{http_, clock_, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "", "",
                              [this](const std::string& name) -> std::optional<std::string> {
                                const auto found = env_.find(name);
                                return found == env_.end() ? std::nullopt : std::optional<std::string>(found->second);
                              }};
    CredentialChain chain(std::move(context), settings);
    return chain.get();
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
  NoNetwork http_;
  host::SystemClock clock_;
};

TEST_F(CredentialChainTest, TheConfigComesFirstThenTheEnvironmentThenTheFiles) {
  write("credentials", "[default]\naws_access_key_id = AKIAFILEDEFAULT00000\naws_secret_access_key = file-secret\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT00000";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env_["AWS_SESSION_TOKEN"] = "env-token";
  CredentialSettings settings;
  settings.explicit_keys = {"AKIACONFIG0000000000", "config-secret", ""};
  EXPECT_EQ(get(settings)->access_key_id, "AKIACONFIG0000000000");
  auto from_env = get();
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->access_key_id, "AKIAENVIRONMENT00000");
  EXPECT_EQ(from_env->session_token, "env-token");
  env_.erase("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(get()->access_key_id, "AKIAFILEDEFAULT00000");
}

TEST_F(CredentialChainTest, AProfileComesFromAwsProfileAndEitherFile) {
  write("credentials", "[dev]\naws_access_key_id=AKIADEVCREDENTIALS00\naws_secret_access_key=dev-secret\n");
  write("config", "[default]\nregion = eu-west-1\n\n[profile ops]\naws_access_key_id = AKIAOPSCONFIG0000000\n"
                  "aws_secret_access_key = ops-secret\n");
  env_["AWS_PROFILE"] = "dev";
  EXPECT_EQ(get()->access_key_id, "AKIADEVCREDENTIALS00");
  CredentialSettings ops;
  ops.profile = "ops";  // the config's profile beats AWS_PROFILE
  EXPECT_EQ(get(ops)->access_key_id, "AKIAOPSCONFIG0000000");
  // With a named profile, the environment's keys are not used.
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT00000";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  EXPECT_EQ(get(ops)->access_key_id, "AKIAOPSCONFIG0000000");
}

TEST_F(CredentialChainTest, AMissingOrBrokenProfileIsAnErrorNotAnotherIdentity) {
  env_["AWS_PROFILE"] = "nowhere";
  auto missing = get();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("\"nowhere\""), std::string::npos) << missing.error().message;

  write("config", "[profile half]\naws_access_key_id = AKIAHALF000000000000\n"
                  "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
                  "[profile loop]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = loop\n");
  for (const char* name : {"half", "role", "loop"}) {
    env_["AWS_PROFILE"] = name;
    auto broken = get();
    ASSERT_FALSE(broken) << name;
    EXPECT_EQ(broken.error().code, ErrorCode::unauthenticated) << name;
    EXPECT_NE(broken.error().message.find(std::string("\"") + name + "\""), std::string::npos) << broken.error().message;
  }
}

TEST_F(CredentialChainTest, NothingFoundSaysWhereItLooked) {
  auto none = get();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::unauthenticated);
  EXPECT_NE(none.error().message.find("no AWS credentials found"), std::string::npos);
}

}  // namespace
}  // namespace signet::awspca
