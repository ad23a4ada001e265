#include "pipeline/policy.hpp"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace signet::host {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

ProfileConfig make_profile() {
  ProfileConfig profile;
  profile.name = "default";
  profile.dns_suffixes = {".example.com", "localhost"};
  profile.dns_patterns = {R"(svc-[0-9]+\.internal)"};
  return profile;
}

IssueInput make_input(std::string common_name = "app.example.com") {
  IssueInput input;
  input.profile = "default";
  input.common_name = std::move(common_name);
  return input;
}

std::string code_of(const std::optional<Rejection>& rejection) { return rejection ? rejection->code : "accepted"; }

std::string check(const ProfileConfig& profile, IssueInput input) { return code_of(check_policy(profile, input)); }

std::string check_dns(const ProfileConfig& profile, const std::string& name) {
  IssueInput input = make_input("");
  input.dns = {name};
  return check(profile, input);
}

// --- CSRs, made by the openssl CLI -----------------------------------------------

class PolicyCsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "signet-policy-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::optional<CsrInfo> make_csr(const std::string& newkey, const std::string& subject,
                                  const std::string& extra = "") {
    const auto key = dir_ / "key.pem";
    const auto csr = dir_ / "csr.pem";
    std::filesystem::remove(csr);
    const std::string command = "openssl req -new -newkey " + newkey + " -nodes -keyout '" + key.string() +
                                "' -out '" + csr.string() + "' -subj '" + subject + "' " + extra +
                                " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    std::ifstream in(csr);
    std::stringstream pem;
    pem << in.rdbuf();
    auto parsed = parse_csr(pem.str());
    if (!std::holds_alternative<CsrInfo>(parsed)) return std::nullopt;
    return std::get<CsrInfo>(parsed);
  }

  std::optional<CsrInfo> app_csr() {
    return make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=app.example.com",
                    "-addext 'subjectAltName=DNS:app.example.com,IP:10.0.0.5'");
  }

  std::filesystem::path dir_;
};

TEST_F(PolicyCsrTest, MergesCsrNamesAndKey) {
  ProfileConfig profile = make_profile();
  profile.allow_ip = true;
  IssueInput input = make_input("");
  input.csr = app_csr();
  ASSERT_TRUE(input.csr);
  input.dns = {"www.example.com"};
  EXPECT_EQ(code_of(check_policy(profile, input)), "accepted");
  EXPECT_EQ(input.common_name, "app.example.com");
  EXPECT_EQ(input.dns, (Strings{"www.example.com", "app.example.com"}));
  EXPECT_EQ(input.ip, Strings{"10.0.0.5"});
  EXPECT_EQ(input.key_type, "ecdsa");
  EXPECT_EQ(input.key_curve, "P-256");
}

TEST_F(PolicyCsrTest, SameCommonNameOnBothSidesIsNoMismatch) {
  ProfileConfig profile = make_profile();
  profile.allow_ip = true;
  IssueInput input = make_input("App.Example.com");
  input.csr = app_csr();
  ASSERT_TRUE(input.csr);
  EXPECT_EQ(check(profile, input), "accepted");
}

TEST_F(PolicyCsrTest, DifferentCommonNameIsCsrMismatch) {
  IssueInput input = make_input("other.example.com");
  input.csr = app_csr();
  ASSERT_TRUE(input.csr);
  EXPECT_EQ(check(make_profile(), input), "csr_mismatch");
}

TEST_F(PolicyCsrTest, CsrSansAreCheckedToo) {
  IssueInput input = make_input("");
  input.csr = app_csr();  // carries IP:10.0.0.5, and the profile allows no IPs
  ASSERT_TRUE(input.csr);
  EXPECT_EQ(check(make_profile(), input), "san_not_allowed");
}

TEST_F(PolicyCsrTest, WeakRsaCsrKeyIsRefused) {
  IssueInput input = make_input("");
  input.csr = make_csr("rsa:1024", "/CN=app.example.com");
  if (!input.csr) GTEST_SKIP() << "this openssl refuses to generate RSA-1024 keys";
  EXPECT_EQ(check(make_profile(), input), "key_not_allowed");
}

TEST_F(PolicyCsrTest, DefaultKeyRulesAcceptRsa2048AndEd25519) {
  IssueInput rsa = make_input("");
  rsa.csr = make_csr("rsa:2048", "/CN=app.example.com");
  ASSERT_TRUE(rsa.csr);
  EXPECT_EQ(check(make_profile(), rsa), "accepted");
  IssueInput ed = make_input("");
  ed.csr = make_csr("ed25519", "/CN=app.example.com");
  ASSERT_TRUE(ed.csr);
  EXPECT_EQ(check(make_profile(), ed), "accepted");
}

TEST_F(PolicyCsrTest, CsrKeyMustMatchProfileRules) {
  ProfileConfig profile = make_profile();
  profile.key_types = {KeyTypeRule{"ecdsa", 2048, 4096, {"P-384"}}};
  IssueInput input = make_input("");
  input.csr = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=app.example.com");
  ASSERT_TRUE(input.csr);
  input.key_type = "ecdsa";
  input.key_curve = "P-384";  // ignored: the CSR's key is the one certified
  EXPECT_EQ(check(profile, input), "key_not_allowed");
}

// --- TTL ---------------------------------------------------------------------------

TEST(PolicyTest, ZeroTtlTakesProfileDefault) {
  IssueInput input = make_input();
  EXPECT_EQ(code_of(check_policy(make_profile(), input)), "accepted");
  EXPECT_EQ(input.ttl, make_profile().default_ttl);
}

TEST(PolicyTest, TtlBelowMinimumIsTooShort) {
  IssueInput input = make_input();
  input.ttl = seconds(5);
  EXPECT_EQ(check(make_profile(), input), "ttl_too_short");
  input.ttl = milliseconds(-1);
  EXPECT_EQ(check(make_profile(), input), "ttl_too_short");
}

TEST(PolicyTest, TtlAboveMaximumIsTooLong) {
  IssueInput input = make_input();
  input.ttl = hours(24 * 91);
  EXPECT_EQ(check(make_profile(), input), "ttl_too_long");
}

TEST(PolicyTest, TtlAtTheBoundsIsAccepted) {
  IssueInput input = make_input();
  input.ttl = make_profile().min_ttl;
  EXPECT_EQ(check(make_profile(), input), "accepted");
  input.ttl = make_profile().max_ttl;
  EXPECT_EQ(check(make_profile(), input), "accepted");
}

// --- common name -------------------------------------------------------------------

TEST(PolicyTest, RequiredCommonNameMissingWithoutSans) {
  ProfileConfig profile = make_profile();
  profile.require_common_name = true;
  EXPECT_EQ(check(profile, make_input("")), "common_name_required");
}

TEST(PolicyTest, RequiredCommonNameIsSatisfiedBySans) {
  ProfileConfig profile = make_profile();
  profile.require_common_name = true;
  IssueInput input = make_input("");
  input.dns = {"app.example.com"};
  EXPECT_EQ(check(profile, input), "accepted");
}

TEST(PolicyTest, CommonNameIsCheckedAsDnsName) {
  EXPECT_EQ(check(make_profile(), make_input("evil.org")), "san_not_allowed");
  EXPECT_EQ(check(make_profile(), make_input("not a host name")), "invalid_san");
  IssueInput input = make_input("App.EXAMPLE.com");
  EXPECT_EQ(code_of(check_policy(make_profile(), input)), "accepted");
  EXPECT_EQ(input.common_name, "app.example.com");
}

TEST(PolicyTest, IpCommonNameFollowsIpRules) {
  ProfileConfig profile = make_profile();
  EXPECT_EQ(check(profile, make_input("10.0.0.5")), "san_not_allowed");
  profile.allow_ip = true;
  EXPECT_EQ(check(profile, make_input("10.0.0.5")), "accepted");
}

TEST(PolicyTest, EmailCommonNameFollowsEmailRules) {
  ProfileConfig profile = make_profile();
  EXPECT_EQ(check(profile, make_input("ops@example.com")), "san_not_allowed");
  profile.allow_email = true;
  EXPECT_EQ(check(profile, make_input("ops@example.com")), "accepted");
}

// --- DNS names ----------------------------------------------------------------------

TEST(PolicyTest, NameOutsideProfileIsNotAllowed) {
  IssueInput input = make_input("");
  input.dns = {"evil.org"};
  const auto rejection = check_policy(make_profile(), input);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->code, "san_not_allowed");
  EXPECT_EQ(rejection->message, "SAN evil.org is outside profile default");
}

TEST(PolicyTest, DotSuffixAdmitsNamesBelowItOnly) {
  const ProfileConfig profile = make_profile();
  EXPECT_EQ(check_dns(profile, "a.b.example.com"), "accepted");
  EXPECT_EQ(check_dns(profile, "example.com"), "san_not_allowed");
  EXPECT_EQ(check_dns(profile, "badexample.com"), "san_not_allowed");
  EXPECT_EQ(check_dns(profile, "example.com.evil.org"), "san_not_allowed");
}

TEST(PolicyTest, SuffixWithoutDotIsAnExactName) {
  const ProfileConfig profile = make_profile();
  EXPECT_EQ(check_dns(profile, "localhost"), "accepted");
  EXPECT_EQ(check_dns(profile, "LocalHost"), "accepted");
  EXPECT_EQ(check_dns(profile, "a.localhost"), "san_not_allowed");
}

TEST(PolicyTest, PatternsMustMatchTheWholeNameIgnoringCase) {
  const ProfileConfig profile = make_profile();
  EXPECT_EQ(check_dns(profile, "svc-12.internal"), "accepted");
  EXPECT_EQ(check_dns(profile, "SVC-12.Internal"), "accepted");
  EXPECT_EQ(check_dns(profile, "svc-12.internal.evil.org"), "san_not_allowed");
  EXPECT_EQ(check_dns(profile, "x.svc-12.internal"), "san_not_allowed");
}

TEST(PolicyTest, BrokenPatternAllowsNothing) {
  ProfileConfig profile = make_profile();
  profile.dns_patterns = {"(unclosed"};
  EXPECT_EQ(check_dns(profile, "unclosed.internal"), "san_not_allowed");
}

TEST(PolicyTest, DnsNamesAreLowerCasedAndDeduplicated) {
  IssueInput input = make_input("");
  input.dns = {"WWW.Example.COM", "www.example.com", "api.example.com"};
  EXPECT_EQ(code_of(check_policy(make_profile(), input)), "accepted");
  EXPECT_EQ(input.dns, (Strings{"www.example.com", "api.example.com"}));
}

TEST(PolicyTest, MalformedDnsNamesAreInvalid) {
  const ProfileConfig profile = make_profile();
  for (const std::string name :
       {"-a.example.com", "a-.example.com", "a..example.com", ".example.com", "a.example.com.", "exa_mple.example.com",
        "a b.example.com", "caf\xc3\xa9.example.com", "a.*.example.com", "10.0.0.5", ""}) {
    EXPECT_EQ(check_dns(profile, name), "invalid_san") << name;
  }
}

TEST(PolicyTest, LabelAndNameLengthLimits) {
  const ProfileConfig profile = make_profile();
  EXPECT_EQ(check_dns(profile, std::string(63, 'a') + ".example.com"), "accepted");
  EXPECT_EQ(check_dns(profile, std::string(64, 'a') + ".example.com"), "invalid_san");
  std::string long_name;
  while (long_name.size() < 250) long_name += std::string(40, 'a') + ".";
  EXPECT_EQ(check_dns(profile, long_name + "example.com"), "invalid_san");  // > 253
  EXPECT_EQ(check_dns(profile, "xn--caf-dma.example.com"), "accepted");    // an A-label
}

TEST(PolicyTest, WildcardNeedsProfilePermission) {
  ProfileConfig profile = make_profile();
  EXPECT_EQ(check_dns(profile, "*.example.com"), "wildcard_not_allowed");
  profile.allow_wildcard = true;
  EXPECT_EQ(check_dns(profile, "*.app.example.com"), "accepted");
  EXPECT_EQ(check_dns(profile, "*.evil.org"), "san_not_allowed");
}

TEST(PolicyTest, WildcardOnlyAsTheWholeLeftmostLabel) {
  ProfileConfig profile = make_profile();
  profile.allow_wildcard = true;
  EXPECT_EQ(check_dns(profile, "*.*.example.com"), "invalid_san");
  EXPECT_EQ(check_dns(profile, "a*.example.com"), "invalid_san");
  EXPECT_EQ(check_dns(profile, "*.com"), "invalid_san");
}

// --- IP, email, URI ---------------------------------------------------------------------

TEST(PolicyTest, IpAddresses) {
  ProfileConfig profile = make_profile();
  IssueInput input = make_input();
  input.ip = {"10.0.0.5"};
  EXPECT_EQ(check(profile, input), "san_not_allowed");
  profile.allow_ip = true;
  for (const std::string bad : {"999.1.1.1", "10.0.0", "010.0.0.5", "fe80::1%eth0", "host"}) {
    input.ip = {bad};
    EXPECT_EQ(check(profile, input), "invalid_san") << bad;
  }
  input.ip = {"2001:DB8:0:0::1", "10.0.0.5", "2001:db8::1"};
  EXPECT_EQ(code_of(check_policy(profile, input)), "accepted");
  EXPECT_EQ(input.ip, (Strings{"2001:db8::1", "10.0.0.5"}));
}

TEST(PolicyTest, EmailAddresses) {
  ProfileConfig profile = make_profile();
  IssueInput input = make_input();
  input.email = {"ops@example.com"};
  EXPECT_EQ(check(profile, input), "san_not_allowed");
  profile.allow_email = true;
  for (const std::string bad : {"ops", "a@b@example.com", "@example.com", "ops@", "o ps@example.com", "ops@-x.com"}) {
    input.email = {bad};
    EXPECT_EQ(check(profile, input), "invalid_san") << bad;
  }
  input.email = {"Ops@Example.COM"};
  EXPECT_EQ(code_of(check_policy(profile, input)), "accepted");
  EXPECT_EQ(input.email, Strings{"Ops@example.com"});
}

TEST(PolicyTest, Uris) {
  ProfileConfig profile = make_profile();
  IssueInput input = make_input();
  input.uri = {"spiffe://example.org/svc"};
  EXPECT_EQ(check(profile, input), "san_not_allowed");
  profile.allow_uri = true;
  EXPECT_EQ(check(profile, input), "accepted");
  for (const std::string bad : {"no-scheme", ":x", "1http://x", "urn:", "https://a b"}) {
    input.uri = {bad};
    EXPECT_EQ(check(profile, input), "invalid_san") << bad;
  }
}

// --- server-side keys -----------------------------------------------------------------

TEST(PolicyTest, MissingKeyChoiceTakesFirstRule) {
  IssueInput input = make_input();
  EXPECT_EQ(code_of(check_policy(make_profile(), input)), "accepted");
  EXPECT_EQ(input.key_type, "ecdsa");
  EXPECT_EQ(input.key_curve, "P-256");

  ProfileConfig profile = make_profile();
  profile.key_types = {KeyTypeRule{"rsa", 3072, 4096, {}}};
  IssueInput rsa = make_input();
  EXPECT_EQ(code_of(check_policy(profile, rsa)), "accepted");
  EXPECT_EQ(rsa.key_type, "rsa");
  EXPECT_EQ(rsa.key_bits, 3072);
}

TEST(PolicyTest, DefaultKeyRules) {
  const ProfileConfig profile = make_profile();
  auto key = [&](std::string type, int bits, std::string curve) {
    IssueInput input = make_input();
    input.key_type = std::move(type);
    input.key_bits = bits;
    input.key_curve = std::move(curve);
    return check(profile, input);
  };
  EXPECT_EQ(key("ecdsa", 0, "P-256"), "accepted");
  EXPECT_EQ(key("ecdsa", 0, "P-384"), "accepted");
  EXPECT_EQ(key("ecdsa", 0, "P-521"), "key_not_allowed");
  EXPECT_EQ(key("rsa", 2048, ""), "accepted");
  EXPECT_EQ(key("rsa", 4096, ""), "accepted");
  EXPECT_EQ(key("rsa", 1024, ""), "key_not_allowed");
  EXPECT_EQ(key("rsa", 8192, ""), "key_not_allowed");
  EXPECT_EQ(key("rsa", 2500, ""), "key_not_allowed");  // inside the bounds, not a standard size
  EXPECT_EQ(key("ed25519", 0, ""), "accepted");
  EXPECT_EQ(key("dsa", 2048, ""), "key_not_allowed");
}

TEST(PolicyTest, ProfileKeyRulesReplaceTheDefaults) {
  ProfileConfig profile = make_profile();
  profile.key_types = {KeyTypeRule{"rsa", 3072, 4096, {}}, KeyTypeRule{"ecdsa", 2048, 4096, {"P-384"}}};
  IssueInput input = make_input();
  input.key_type = "rsa";
  input.key_bits = 2048;
  EXPECT_EQ(check(profile, input), "key_not_allowed");
  input.key_bits = 3072;
  EXPECT_EQ(check(profile, input), "accepted");
  input = make_input();
  input.key_type = "ecdsa";
  input.key_curve = "P-256";
  EXPECT_EQ(check(profile, input), "key_not_allowed");
  input.key_type = "ed25519";
  input.key_curve.clear();
  EXPECT_EQ(check(profile, input), "key_not_allowed");
}

TEST(PolicyTest, FirstProblemWins) {
  IssueInput input = make_input("evil.org");
  input.ttl = seconds(1);
  EXPECT_EQ(check(make_profile(), input), "ttl_too_short");
}

}  // namespace
}  // namespace signet::host
