// GET /v1/openapi.json on a live host: it describes every route the router
// has and nothing else (the host logs any drift at start), it is a valid
// OpenAPI 3.1 document by openapi-spec-validator, a checker nobody here
// wrote, and the answers of the main routes match it
// (tests/e2e/openapi/check_answers.py, with Debian's python3-jsonschema).
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

class OpenApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { host_ = std::make_unique<DevHost>(); }
  static void TearDownTestSuite() { host_.reset(); }
  static std::unique_ptr<DevHost> host_;

  std::string document_file() {
    auto r = http("GET", host_->url() + "/v1/openapi.json", "", "", host_->ca_file());
    EXPECT_TRUE(r && r->status == 200);
    return host_->dir().write("openapi.json", r ? r->body : "");
  }
};
std::unique_ptr<DevHost> OpenApi::host_;

TEST_F(OpenApi, DescribesEveryRouteOfTheRouterAndNoOther) {
  ASSERT_TRUE(host_->started()) << host_->log();
  EXPECT_EQ(host_->log().find("OpenAPI document is incomplete"), std::string::npos) << host_->log();
  const auto doc = nlohmann::json::parse(read_file(document_file()));
  int operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      ++operations;
      EXPECT_NE(operation.value("summary", ""), "Not described") << method << " " << path;
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  EXPECT_GE(operations, 55);
  EXPECT_TRUE(doc["paths"].contains("/v1/secrets/{path}"));
  EXPECT_FALSE(doc["paths"].contains("/ui/{rest}"));  // the dashboard's files are not API
}

TEST_F(OpenApi, IsAValidOpenApi31DocumentByOpenApiSpecValidator) {
  ASSERT_TRUE(host_->started()) << host_->log();
  // openapi-spec-validator is on the development machines (pip), not in Debian 12.
  if (run_command("python3 -c 'import openapi_spec_validator' 2>/dev/null").status != 0)
    GTEST_SKIP() << "openapi-spec-validator is not installed for python3";
  const auto result = run_command("python3 -m openapi_spec_validator " + document_file() + " 2>&1");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("OK"), std::string::npos) << result.output;
}

TEST_F(OpenApi, TheMainRoutesAnswerAsDocumented) {
  ASSERT_TRUE(host_->started()) << host_->log();
  const auto result = run_command("/usr/bin/python3 " + std::string(SIGNET_TEST_SOURCE_DIR) +
                                  "/tests/e2e/openapi/check_answers.py " + host_->url() + " " + host_->admin_token() +
                                  " " + host_->ca_file() + " 2>&1");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("checked"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace signet::test
