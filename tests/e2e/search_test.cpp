// Searching the inventory over HTTPS against the real binary: the
// natural-language `q`, the explicit filters the dashboard's chips send,
// GET /v1/search/parse, the key type and size recorded for every
// certificate (checked against what OpenSSL says of it), the orders with
// their cursors, and the refusals of malformed filters.
#include <gtest/gtest.h>

#include <set>

#include <encoding/url.hpp>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class Search : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    host_ = new SignetProcess(dev_serve_args(*dir_, dir_->file("dev")), dir_->file("dev.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
    token_ = trimmed(read_file(dir_->file("dev/admin-token")));
    issued_ = new std::map<std::string, json>();
    auto issue = [](const std::string& cn, const json& key, const std::string& service) {
      json body = {{"common_name", cn}, {"dns_names", {cn}}, {"key", key}, {"service", service}};
      (*issued_)[cn] = call("POST", "/v1/certificates", body.dump(), 201);
    };
    issue("shop.example.com", {{"type", "rsa"}, {"bits", 2048}}, "payments");
    issue("www.example.com", {{"type", "rsa"}, {"bits", 3072}}, "web");
    issue("api.example.org", {{"type", "ecdsa"}, {"curve", "P-256"}}, "payments");
    issue("db.internal", {{"type", "ecdsa"}, {"curve", "P-384"}}, "billing");
    issue("edge.test", {{"type", "ed25519"}}, "web");
    call("POST", "/v1/certificates/" + id_of("db.internal") + "/revoke", R"({"reason":"key_compromise"})", 200);
    (*issued_)["api.example.org renewed"] =
        call("POST", "/v1/certificates/" + id_of("api.example.org") + "/renew", R"({"key":{"type":"ecdsa","curve":"P-256"}})", 201);
  }
  static void TearDownTestSuite() {
    delete issued_;
    delete host_;
    delete dir_;
  }

  static json call(const std::string& method, const std::string& path, const std::string& body, int expected) {
    auto r = http(method, host_->url() + path, body, token_, dir_->file("dev/ca.pem"));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    EXPECT_EQ(r.value().status, expected) << method << " " << path << ": " << r.value().body;
    return json_of(r.value());
  }
  static json get(const std::string& path, int expected = 200) { return call("GET", path, "", expected); }
  static std::string id_of(const std::string& cn) { return issued_->at(cn).value("id", ""); }

  // The common names a listing answered, as a set.
  static std::set<std::string> names(const std::string& query) {
    std::set<std::string> out;
    for (const auto& item : get("/v1/certificates?" + query).value("items", json::array()))
      out.insert(item.value("common_name", ""));
    return out;
  }
  static std::set<std::string> searched(const std::string& text) { return names("q=" + encoding::url_encode(text)); }

  static TempDir* dir_;
  static SignetProcess* host_;
  static std::string token_;
  static std::map<std::string, json>* issued_;
};

TempDir* Search::dir_ = nullptr;
SignetProcess* Search::host_ = nullptr;
std::string Search::token_;
std::map<std::string, json>* Search::issued_ = nullptr;

using Names = std::set<std::string>;

TEST_F(Search, EveryCertificateCarriesTheKeyOpenSslSeesInIt) {
  const std::map<std::string, std::string> openssl_says = {{"shop.example.com", "Public-Key: (2048 bit)"},
                                                           {"www.example.com", "Public-Key: (3072 bit)"},
                                                           {"api.example.org", "Public-Key: (256 bit)"},
                                                           {"db.internal", "Public-Key: (384 bit)"},
                                                           {"edge.test", "ED25519 Public-Key"}};
  const std::map<std::string, std::pair<std::string, int>> listed = {{"shop.example.com", {"rsa", 2048}},
                                                                     {"www.example.com", {"rsa", 3072}},
                                                                     {"api.example.org", {"ecdsa", 256}},
                                                                     {"db.internal", {"ecdsa", 384}},
                                                                     {"edge.test", {"ed25519", 256}}};
  for (const auto& [cn, phrase] : openssl_says) {
    const json one = get("/v1/certificates/" + id_of(cn));
    dir_->write("k.pem", one.value("certificate", ""));
    const auto text = run_command("openssl x509 -noout -text -in " + dir_->file("k.pem"));
    EXPECT_NE(text.output.find(phrase), std::string::npos) << cn << ": " << text.output;
    EXPECT_EQ(one.value("key_type", ""), listed.at(cn).first) << cn;
    EXPECT_EQ(one.value("key_bits", 0), listed.at(cn).second) << cn;
  }
}

TEST_F(Search, NaturalLanguageQueriesFindTheRightCertificates) {
  EXPECT_EQ(searched("rsa 2048"), Names({"shop.example.com"}));
  EXPECT_EQ(searched("rsa"), Names({"shop.example.com", "www.example.com"}));
  EXPECT_EQ(searched("p-384"), Names({"db.internal"}));
  EXPECT_EQ(searched("ed25519"), Names({"edge.test"}));
  EXPECT_EQ(searched("*.example.com"), Names({"shop.example.com", "www.example.com"}));
  EXPECT_EQ(searched("revoked today"), Names({"db.internal"}));
  EXPECT_EQ(searched("revoked yesterday"), Names());
  EXPECT_EQ(searched("superseded"), Names({"api.example.org"}));
  // The renewal replaced api.example.org: "not renewed" finds its successor only.
  const json not_renewed = get("/v1/certificates?q=" + encoding::url_encode("not renewed owner:payments"));
  std::set<std::string> ids;
  for (const auto& item : not_renewed.at("items")) ids.insert(item.value("id", ""));
  EXPECT_EQ(ids, Names({id_of("shop.example.com"), issued_->at("api.example.org renewed").value("id", "")}));
  EXPECT_EQ(searched("renewed"), Names({"api.example.org"}));
  EXPECT_EQ(searched("payments"), Names({"shop.example.com", "api.example.org"}));
  EXPECT_EQ(searched("expiring in 7 days"), Names());
  // Dev certificates live 30 days by default; revoked ones are not "expiring".
  EXPECT_EQ(get("/v1/certificates?q=expiring%20in%2031%20days").at("items").size(), 5u);
  EXPECT_EQ(searched("shop"), Names({"shop.example.com"}));
  EXPECT_EQ(get("/v1/certificates?q=issued%20by%20internal").at("items").size(), 6u);
  EXPECT_EQ(get("/v1/certificates?q=issued%20by%20aws").at("items").size(), 0u) << "no CA is called aws";
  EXPECT_EQ(searched("serial:" + issued_->at("edge.test").value("serial", "")), Names({"edge.test"}));
  EXPECT_EQ(searched("nothing-matches-this"), Names());
}

TEST_F(Search, ParseSaysWhatWasUnderstoodAsChipsTheListingTakesBack) {
  const json parsed = get("/v1/search/parse?q=" + encoding::url_encode("rsa 2048 *.example.com owner:payments"));
  EXPECT_EQ(parsed.value("q", ""), "rsa 2048 *.example.com owner:payments");
  std::string query;
  for (const auto& chip : parsed.at("chips")) {
    const std::string value = chip.at("value").is_string() ? chip.at("value").get<std::string>() : chip.at("value").dump();
    query += "&" + chip.value("field", "") + "=" + encoding::url_encode(value);
  }
  EXPECT_EQ(query, "&service=payments&key_type=rsa&key_bits=2048&name_pattern=%2A.example.com");
  // The chips, sent as parameters, find what the sentence found.
  EXPECT_EQ(names(query.substr(1)), searched("rsa 2048 *.example.com owner:payments"));
  EXPECT_EQ(names(query.substr(1)), Names({"shop.example.com"}));
  // A chip removed: the others still hold.
  EXPECT_EQ(names("key_type=rsa&service=web"), Names({"www.example.com"}));
  EXPECT_EQ(names("curve=P-256"), Names({"api.example.org"}));
  EXPECT_EQ(names("text=example%20shop"), Names({"shop.example.com"}));
}

TEST_F(Search, EachOrderPagesThroughEverythingOnceWithItsOwnCursor) {
  for (const std::string order : {"sort=not_after", "sort=not_after&order=desc", "sort=common_name", "sort=created_at&order=asc",
                                  "sort=created_at"}) {
    std::vector<json> walked;
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
      const json body = get("/v1/certificates?limit=2&" + order + (cursor.empty() ? "" : "&cursor=" + cursor));
      for (const auto& item : body.at("items")) walked.push_back(item);
      if (body.at("next_cursor").is_null()) break;
      cursor = body.at("next_cursor").get<std::string>();
    }
    ASSERT_EQ(walked.size(), 6u) << order;
    for (std::size_t i = 1; i < walked.size(); ++i) {
      const json &a = walked[i - 1], &b = walked[i];
      if (order == "sort=not_after") EXPECT_LE(a.value("not_after", ""), b.value("not_after", "")) << order;
      if (order == "sort=not_after&order=desc") EXPECT_GE(a.value("not_after", ""), b.value("not_after", "")) << order;
      if (order == "sort=common_name") EXPECT_LE(a.value("common_name", ""), b.value("common_name", "")) << order;
      if (order == "sort=created_at&order=asc") EXPECT_LE(a.value("created_at", ""), b.value("created_at", "")) << order;
      if (order == "sort=created_at") EXPECT_GE(a.value("created_at", ""), b.value("created_at", "")) << order;
    }
  }
  // A cursor of one order is refused by another, not misread.
  const std::string by_name = get("/v1/certificates?limit=1&sort=common_name").at("next_cursor").get<std::string>();
  EXPECT_EQ(get("/v1/certificates?sort=not_after&cursor=" + by_name, 400).value("error", json()).value("code", ""),
            "invalid_request");
  EXPECT_EQ(get("/v1/certificates?cursor=" + by_name, 400).value("error", json()).value("code", ""), "invalid_request");
}

TEST_F(Search, MalformedFiltersAreRefusedNamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"status=valid", "status"},           {"key_type=dsa", "key_type"},    {"key_bits=big", "key_bits"},
      {"curve=P-999", "curve"},             {"renewal=maybe", "renewal"},    {"sort=serial", "sort"},
      {"order=up", "order"},                {"revoked_since=yesterday", "revoked_since"},
      {"expiring_within_days=-3", "expiring_within_days"}, {"q=" + std::string(1001, 'a'), "q"},
      {"key_type=rsa&curve=P-256", "curve"}};
  for (const auto& [query, name] : bad) {
    const json refused = get("/v1/certificates?" + query, 400);
    EXPECT_EQ(refused.value("error", json()).value("code", ""), "invalid_request") << query;
    EXPECT_NE(refused.value("error", json()).value("message", "").find(name), std::string::npos) << query << refused.dump();
  }
  EXPECT_EQ(get("/v1/search/parse?q=" + std::string(1001, 'a'), 400).value("error", json()).value("code", ""), "invalid_request");
}

TEST_F(Search, TheFilteredViewExportsAsCsvThatPythonReads) {
  auto r = http("GET", host_->url() + "/v1/certificates/export.csv?q=rsa&sort=common_name", "", token_, dir_->file("dev/ca.pem"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->header("content-type").rfind("text/csv", 0), 0u);
  EXPECT_EQ(r->header("x-signet-rows"), "2");
  dir_->write("view.csv", r->body);
  // Python's csv module, not ours, reads it back.
  const auto read = run_command("/usr/bin/python3 -c \"import csv,sys; rows=list(csv.DictReader(open(sys.argv[1], newline=''))); "
                                "print(len(rows)); [print(x['common_name'], x['key_type'], x['key_bits'], x['status'], x['owner']) for x in rows]\" " +
                                dir_->file("view.csv"));
  EXPECT_EQ(read.status, 0) << read.output;
  EXPECT_EQ(read.output, "2\nshop.example.com rsa 2048 active payments\nwww.example.com rsa 3072 active web\n");
  auto bad = http("GET", host_->url() + "/v1/certificates/export.csv?status=valid", "", token_, dir_->file("dev/ca.pem"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(Search, TheAuditLogReadsNewestFirstAndItsChainVerifies) {
  const json newest = get("/v1/audit?order=desc&limit=3");
  ASSERT_EQ(newest.at("items").size(), 3u);
  EXPECT_GT(newest["items"][0].value("seq", 0LL), newest["items"][2].value("seq", 0LL));
  const json next = get("/v1/audit?order=desc&limit=3&cursor=" + newest.value("next_cursor", ""));
  ASSERT_FALSE(next.at("items").empty());
  EXPECT_LT(next["items"][0].value("seq", 0LL), newest["items"][2].value("seq", 0LL));
  const json verdict = get("/v1/audit/verify");
  EXPECT_EQ(verdict["valid"], true) << verdict.dump();
  EXPECT_GT(verdict.value("records", 0), 5);
  EXPECT_TRUE(verdict["first_broken"].is_null());
}

TEST_F(Search, TheCliSearchesWithTheSameWords) {
  const auto out = run_command("SIGNET_ADDR=" + host_->url() + " SIGNET_TOKEN=" + token_ + " SIGNET_CACERT=" +
                               dir_->file("dev/ca.pem") + " " + binary_path() + " cert search rsa 2048 2>&1");
  EXPECT_EQ(out.status, 0) << out.output;
  EXPECT_NE(out.output.find("key_type=rsa"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("key_bits=2048"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("shop.example.com"), std::string::npos) << out.output;
  EXPECT_EQ(out.output.find("www.example.com"), std::string::npos) << out.output;
}

}  // namespace
}  // namespace signet::test
