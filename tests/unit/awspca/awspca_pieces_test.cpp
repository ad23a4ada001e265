// The small decisions of ca-awspca: the serial AWS wants, how fast it
// polls, the idempotency token, templates, and where its endpoints are.
#include <map>

#include <gtest/gtest.h>

#include "awspca_ca.hpp"
#include "config.hpp"
#include "rate_limit.hpp"
#include "templates.hpp"

namespace signet::awspca {
namespace {

const char* kArn = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012";

Getenv environment(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

TEST(AwspcaSerial, IsLowerCaseColonHexOfWholeOctets) {
  EXPECT_EQ(colon_serial("670744768"), "06:70:74:47:68");
  EXPECT_EQ(colon_serial("ABCDEF"), "ab:cd:ef");
}

TEST(AwspcaPolling, StartsNearASecondAndBacksOffTo30) {
  EXPECT_EQ(poll_delay(0).count(), 1);
  EXPECT_EQ(poll_delay(1).count(), 1);
  EXPECT_EQ(poll_delay(2).count(), 2);
  EXPECT_EQ(poll_delay(8).count(), 16);
  EXPECT_EQ(poll_delay(10).count(), 30);
  EXPECT_EQ(poll_delay(1000).count(), 30);
}

TEST(AwspcaRateLimit, ASlotCountsWhileInFlightAndForASecondAfterItsCallEnded) {
  using namespace std::chrono_literals;
  RateLimit rate(2);
  const auto start = RateLimit::Clock::now();
  auto first = rate.take(start);
  auto second = rate.take(start);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(rate.take(start));
  // Calls still in flight hold their slots however long they take: AWS
  // has not seen them yet.
  EXPECT_FALSE(rate.take(start + 5s));
  first.reset();
  // Ended now, so counted until a second from now, not from when it began.
  const auto ended = RateLimit::Clock::now();
  EXPECT_FALSE(rate.take(ended + 900ms));
  auto third = rate.take(ended + 1001ms);
  EXPECT_TRUE(third);
  EXPECT_FALSE(rate.take(ended + 1001ms));
}

TEST(AwspcaIdempotency, TheTokenIsTheRequestIdOrItsHashWithin36Characters) {
  EXPECT_EQ(idempotency_token("req_2al6z56afwhvnm77wboj755kws"), "req_2al6z56afwhvnm77wboj755kws");
  const std::string long_id(60, 'r');
  EXPECT_EQ(idempotency_token(long_id).size(), 36u);
  EXPECT_EQ(idempotency_token(long_id), idempotency_token(long_id));
  EXPECT_NE(idempotency_token(long_id), idempotency_token(long_id + "x"));
}

TEST(AwspcaTemplates, AreRefusedBeforeTheCallWhenTheyCannotCarryTheProfile) {
  IssuancePolicy client{"mtls", {"digital_signature"}, {"client_auth"}, std::chrono::hours(24)};
  const auto refusal = template_refusal("EndEntityServerAuthCertificate/V1", client);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("EndEntityServerAuthCertificate/V1"), std::string::npos);
  EXPECT_NE(refusal->find("client_auth"), std::string::npos);
  EXPECT_FALSE(template_refusal("EndEntityCertificate/V1", client));
  EXPECT_FALSE(template_refusal("BlankEndEntityCertificate_APICSRPassthrough/V1", client));
  EXPECT_EQ(template_name("arn:aws:acm-pca:::template/CodeSigningCertificate/V1"), "CodeSigningCertificate/V1");
}

TEST(AwspcaTemplates, PassthroughCarriesNamesAndUsages) {
  SignRequest request;
  request.common_name = "app.example.com";
  request.sans.dns = {"app.example.com"};
  request.sans.ip = {"192.0.2.1"};
  request.policy = {"web", {"digital_signature", "key_encipherment"}, {"server_auth"}, std::chrono::hours(24)};
  const auto passthrough = api_passthrough(request);
  EXPECT_EQ(passthrough["Subject"]["CommonName"], "app.example.com");
  EXPECT_EQ(passthrough["Extensions"]["SubjectAlternativeNames"][1]["IpAddress"], "192.0.2.1");
  EXPECT_EQ(passthrough["Extensions"]["KeyUsage"]["KeyEncipherment"], true);
  EXPECT_EQ(passthrough["Extensions"]["ExtendedKeyUsage"][0]["ExtendedKeyUsageType"], "SERVER_AUTH");
}

TEST(AwspcaConfig, EndpointsComeFromTheConfigThenTheEnvironmentThenTheRegion) {
  auto regional = read_config({{"certificate_authority_arn", kArn}}, environment({}));
  ASSERT_TRUE(regional);
  EXPECT_EQ(regional->region, "eu-west-1");
  EXPECT_EQ(regional->endpoint, "https://acm-pca.eu-west-1.amazonaws.com");
  EXPECT_EQ(regional->sts_endpoint, "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(regional->template_arn, "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1");
  EXPECT_EQ(regional->ca_id, "12345678-1234-1234-1234-123456789012");

  auto fips = read_config({{"certificate_authority_arn", kArn}, {"fips", true}, {"region", "us-gov-west-1"}}, environment({}));
  EXPECT_EQ(fips->endpoint, "https://acm-pca-fips.us-gov-west-1.amazonaws.com");

  auto from_env = read_config({{"certificate_authority_arn", kArn}},
                              environment({{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"},
                                           {"AWS_ENDPOINT_URL_ACM_PCA", "http://localhost:5000"}}));
  EXPECT_EQ(from_env->endpoint, "http://localhost:5000");
  EXPECT_EQ(from_env->sts_endpoint, "http://127.0.0.1:4566");

  auto plain = read_config({{"certificate_authority_arn", kArn}, {"endpoint_url", "http://pca.example.com"}}, environment({}));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(plain.error().problems.at(0).path, "/endpoint_url");
}

TEST(AwspcaConfig, ProfileTemplatesAndTwoCredentialSources) {
  auto both = read_config({{"certificate_authority_arn", kArn}, {"profile", "dev"},
                           {"credentials", {{"access_key_id", "AKIAEXAMPLE000000000"}, {"secret_access_key", "x"}}}},
                          environment({}));
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().problems.at(0).path, "/profile");
  auto templates = read_config({{"certificate_authority_arn", kArn},
                                {"profile_templates", {{"mtls", "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"}}}},
                               environment({}));
  ASSERT_TRUE(templates);
  EXPECT_EQ(templates->profile_templates.at("mtls"), "EndEntityClientAuthCertificate/V1");
}

}  // namespace
}  // namespace signet::awspca
