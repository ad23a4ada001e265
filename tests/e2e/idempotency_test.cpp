// Idempotency-Key on POSTs (draft-ietf-httpapi-idempotency-key-header): a
// client that retries after a timeout gets the first answer, not a second
// certificate; another request under the same key is refused; a private key
// handed out once is not stored for replays.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

struct Answer {
  int status = 0;
  std::string headers;
  json body;
};

// curl, so the request carries the header exactly as a client sends it.
Answer post(DevHost& host, const std::string& path, const std::string& key, const json& body) {
  const TempDir& dir = host.dir();
  const std::string head = dir.file("head.txt"), out = dir.file("out.json");
  const auto r = run_command("curl -sS -o " + out + " -D " + head + " -w '%{http_code}' --cacert " + host.ca_file() +
                             " -H 'Authorization: Bearer " + host.admin_token() + "' -H 'Content-Type: application/json'" +
                             (key.empty() ? std::string() : " -H 'Idempotency-Key: " + key + "'") + " -d '" + body.dump() +
                             "' " + host.url() + path);
  return {std::atoi(r.output.c_str()), read_file(head), json::parse(read_file(out), nullptr, false)};
}

TEST(Idempotency, ARetriedPostGetsTheFirstAnswerAndNoSecondCertificate) {
  DevHost host;
  ASSERT_TRUE(host.started()) << host.log();
  const json body = {{"common_name", "idem.example.com"}, {"sans", {{"dns", {"idem.example.com"}}}}};
  const Answer first = post(host, "/v1/certificates", "flow-run-42", body);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_TRUE(first.body.contains("private_key"));

  const Answer again = post(host, "/v1/certificates", "flow-run-42", body);
  EXPECT_EQ(again.status, 201) << again.body.dump();
  EXPECT_NE(again.headers.find("Idempotent-Replayed: true"), std::string::npos) << again.headers;
  EXPECT_EQ(again.body.value("id", ""), first.body.value("id", ""));
  EXPECT_EQ(again.body.value("serial", ""), first.body.value("serial", ""));
  // The key was handed out once; the replay says so instead of storing it.
  EXPECT_FALSE(again.body.contains("private_key"));
  EXPECT_EQ(again.body.value("private_key_delivered", false), true);

  const json other = {{"common_name", "other.example.com"}, {"sans", {{"dns", {"other.example.com"}}}}};
  const Answer reused = post(host, "/v1/certificates", "flow-run-42", other);
  EXPECT_EQ(reused.status, 422) << reused.body.dump();
  EXPECT_EQ(reused.body["error"].value("code", ""), "idempotency_key_reused");

  const Answer bad = post(host, "/v1/certificates", "two words", body);
  EXPECT_EQ(bad.status, 400) << bad.body.dump();

  // One certificate for the name, however often the flow retried.
  auto listed = http("GET", host.url() + "/v1/certificates?common_name=idem.example.com", "", host.admin_token(), host.ca_file());
  ASSERT_TRUE(listed && listed->status == 200);
  const json items = json_of(*listed)["items"];
  int count = 0;
  for (const auto& item : items) count += item.value("common_name", "") == "idem.example.com";
  EXPECT_EQ(count, 1) << listed->body;

  // Without the header, each POST is its own request.
  const Answer plain1 = post(host, "/v1/certificates", "", body), plain2 = post(host, "/v1/certificates", "", body);
  EXPECT_NE(plain1.body.value("id", ""), plain2.body.value("id", ""));
}

}  // namespace
}  // namespace signet::test
