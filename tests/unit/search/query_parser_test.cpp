// The natural-language search parser (host/src/search): a table of phrases
// people type and the filters each must become, as chips (issue 26, item 3).
#include <gtest/gtest.h>

#include "search/query_parser.hpp"

namespace signet::host::search {
namespace {

using nlohmann::json;

const Vocabulary kNames{{"acme", "globex", "initech"}, {"aws", "internal", "keyfactor"}, {"web", "mtls", "short-lived"},
                        {"payments", "billing", "checkout-api"}};
const TimePoint kNow = *parse_rfc3339("2026-12-07T15:30:00Z");

struct Case {
  const char* query;
  json chips;  // exactly these, in chips_of's order
};

json chip(const char* field, const json& value) { return {{"field", field}, {"value", value}}; }

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"expiring in 7 days in tenant acme issued by aws",
       {chip("expiring_within_days", 7), chip("tenant", "acme"), chip("ca", "aws")}},
      {"revoked last week", {chip("status", "revoked"), chip("revoked_since", "2026-11-30T15:30:00Z")}},
      {"rsa 2048 *.example.com", {chip("key_type", "rsa"), chip("key_bits", 2048), chip("name_pattern", "*.example.com")}},
      {"not renewed owner:payments", {chip("service", "payments"), chip("renewal", "not_renewed")}},
      {"expiring soon", {chip("expiring_within_days", 30)}},
      {"expiring", {chip("expiring_within_days", 30)}},
      {"expires within 2 weeks", {chip("expiring_within_days", 14)}},
      {"expiring in 30d", {chip("expiring_within_days", 30)}},
      {"expiring next month", {chip("expiring_within_days", 30)}},
      {"expiring this week", {chip("expiring_within_days", 7)}},
      {"due in 90 days", {chip("expiring_within_days", 90)}},
      {"revoked yesterday",
       {chip("status", "revoked"), chip("revoked_since", "2026-12-06T00:00:00Z"), chip("revoked_until", "2026-12-07T00:00:00Z")}},
      {"revoked today", {chip("status", "revoked"), chip("revoked_since", "2026-12-07T00:00:00Z")}},
      {"revoked in the last 3 days", {chip("status", "revoked"), chip("revoked_since", "2026-12-04T15:30:00Z")}},
      {"revoked since 2026-11-01", {chip("status", "revoked"), chip("revoked_since", "2026-11-01T00:00:00Z")}},
      {"issued this month", {chip("issued_since", "2026-11-07T15:30:00Z")}},
      {"issued before 2026-01-01", {chip("issued_until", "2026-01-01T00:00:00Z")}},
      {"revoked", {chip("status", "revoked")}},
      {"expired certificates", {chip("status", "expired")}},
      {"show me all valid certs", {chip("status", "active")}},
      {"lapsed", {chip("status", "expired")}},
      {"replaced", {chip("status", "superseded")}},
      {"status:revoked", {chip("status", "revoked")}},
      {"tenant:globex", {chip("tenant", "globex")}},
      {"in acme", {chip("tenant", "acme")}},
      {"tenant acmee", {chip("tenant", "acme")}},     // one typo
      {"tenant INITECH", {chip("tenant", "initech")}},  // case
      {"from keyfac", {chip("ca", "keyfactor")}},       // a prefix
      {"issuer:internal", {chip("ca", "internal")}},
      {"ca aws expired", {chip("status", "expired"), chip("ca", "aws")}},
      {"profile mtls", {chip("profile", "mtls")}},
      {"short-lived", {chip("profile", "short-lived")}},
      {"owned by billing", {chip("service", "billing")}},
      {"for checkout-api", {chip("service", "checkout-api")}},
      {"app:chekout-api", {chip("service", "checkout-api")}},  // one typo in a long name
      {"rsa-4096", {chip("key_type", "rsa"), chip("key_bits", 4096)}},
      {"rsa3072", {chip("key_type", "rsa"), chip("key_bits", 3072)}},
      {"ec p-256", {chip("key_type", "ecdsa"), chip("curve", "P-256")}},
      {"p384 keys", {chip("key_type", "ecdsa"), chip("curve", "P-384")}},
      {"ed25519", {chip("key_type", "ed25519")}},
      {"ecdsa acme", {chip("tenant", "acme"), chip("key_type", "ecdsa")}},
      {"3a:4f:00:91:bc:de", {chip("serial", "3a4f0091bcde")}},
      {"serial:5F0C9A3E11223344", {chip("serial", "5f0c9a3e11223344")}},
      {"5f0c9a3e11223344aabb", {chip("serial", "5f0c9a3e11223344aabb")}},
      {"192.0.2.10", {chip("ip", "192.0.2.10")}},
      {"2001:db8::1", {chip("ip", "2001:db8::1")}},
      {"www.example.com", {chip("text", "www.example.com")}},
      {"cn:api.example.com revoked", {chip("status", "revoked"), chip("text", "api.example.com")}},
      {"\"payments gateway\"", {chip("text", "payments gateway")}},
      {"unrenewed expiring in 7 days", {chip("expiring_within_days", 7), chip("renewal", "not_renewed")}},
      {"renewed", {chip("renewal", "renewed")}},
      {"without renewal in globex", {chip("tenant", "globex"), chip("renewal", "not_renewed")}},
      {"team:platform", {chip("team", "platform")}},  // a field this parser does not know passes through
      {"rsa 2048 expiring in 2 weeks owned by payments in tenant acme",
       {chip("expiring_within_days", 14), chip("tenant", "acme"), chip("service", "payments"), chip("key_type", "rsa"),
        chip("key_bits", 2048)}},
      {"", json::array()},
  };
  return table;
}

TEST(QueryParser, EveryPhraseOfTheTableBecomesItsFilters) {
  ASSERT_GE(cases().size(), 40u);
  for (const auto& c : cases()) {
    const json got = chips_of(parse_query(c.query, kNames, kNow));
    json want = c.chips.is_array() ? c.chips : json::array();
    EXPECT_EQ(got, want) << "query: " << c.query;
  }
}

TEST(QueryParser, NamesOnlyMatchWhatTheDatabaseKnows) {
  // "in tokyo": no tenant or service of that name, so it stays text.
  const json got = chips_of(parse_query("in tokyo", kNames, kNow));
  EXPECT_EQ(got, json::array({chip("text", "tokyo")}));
  // Two typos in a short name are too many.
  EXPECT_EQ(chips_of(parse_query("tenant axmx", kNames, kNow)), json::array({chip("tenant", "axmx")}));
}

TEST(QueryParser, HostileTextIsTextNotAFailure) {
  const std::string long_word(10000, 'x');
  const auto parsed = parse_query(long_word + " \xff\xfe :: : :: \"unterminated", kNames, kNow);
  EXPECT_FALSE(parsed.text.empty());
}

}  // namespace
}  // namespace signet::host::search
