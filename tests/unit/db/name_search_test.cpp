// Searches by part of a name (db/name_search.cpp, list_certificates), on a
// real SQLite file and a real PostgreSQL server: each answer equals a plain
// substring check over the names the test recorded, whichever way it was
// found — rows tested in the listing's order when the part is common or the
// rows run out within the window, the trigram index when it is rare, every
// row when the part is too short for trigrams — with LIKE's wildcards taken
// literally, the SANs' JSON keys never matched, case ignored, and another
// tenant's names never seen.
#include <set>

#include <gtest/gtest.h>

#include "db/certificates.hpp"
#include "db/name_search.hpp"
#include "db/tenants.hpp"
#include "engine_database.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr int kCertificates = kNameScanWindow + 100;  // more rows than the window tests
constexpr int kBeforeTheIndex = 150;                  // recorded at schema version 19

struct Recorded {
  std::string id;
  std::vector<std::string> names;  // CN first, as recorded
};

class NameSearch : public test_db::EngineDatabaseTest {
 protected:
  void SetUp() override {
    // The first certificates come before migration 20, which indexes them;
    // the triggers index the rest.
    open_database(19);
    if (HasFatalFailure()) return;
    acme_ = ensure_tenant(*db_, "acme", "Acme").value().id;
    other_ = ensure_tenant(*db_, "other", "Other").value().id;
    auto record_range = [&](int from, int to) {
      const auto written = db_->write([&](soci::session& s) {
        for (int n = from; n < to; ++n) record(s, acme_, n, names_for(n));
      });
      ASSERT_TRUE(written) << written.error().message;
    };
    record_range(0, kBeforeTheIndex);
    ASSERT_TRUE(db_->migrate());
    old_schema_ = false;
    record_range(kBeforeTheIndex, kCertificates);
    const auto written = db_->write([&](soci::session& s) { record(s, other_, 0, {"svc-12.example.com", "ops_team@example.org"}); });
    ASSERT_TRUE(written) << written.error().message;
  }

  static std::vector<std::string> names_for(int n) {
    std::vector<std::string> names = {"svc-" + std::to_string(n) + ".example.com", "alt-" + std::to_string(n) + ".internal"};
    if (n == 77) names[0] = "Svc-UPPER.Example.COM";
    if (n == 88) names[0] = "ÜBER-88.example.com";
    if (n % 100 == 7) names.push_back("n-" + std::to_string(n) + ".branch7.example.net");
    if (n % 100 == 8) names.push_back("x.branch7.example.net.evil.com");
    if (n % 1000 == 0) names.push_back("ops_team@example.org");
    if (n % 1000 == 1) names.push_back("opsxteam@example.org");
    return names;
  }

  void record(soci::session& s, const std::string& tenant, int n, const std::vector<std::string>& names) {
    CertificateRow row;
    row.id = id_of(tenant == acme_ ? "acme" : "other", n);
    row.tenant_id = tenant;
    row.request_id = "req_" + row.id;
    row.ca = "internal";
    row.serial = row.id;
    row.common_name = names[0];
    row.sans = json::object();
    for (std::size_t i = 1; i < names.size(); ++i)
      row.sans[names[i].find('@') == std::string::npos ? "dns" : "email"].push_back(names[i]);
    row.profile = "default";
    row.status = "active";
    row.created_at = row.not_before = Clock::now() - std::chrono::seconds(n);
    row.not_after = row.created_at + std::chrono::hours(24);
    if (old_schema_) test_db::insert_certificate_before_22(s, CertificateColumns(row));
    else insert_certificate(s, CertificateColumns(row));
    if (tenant == acme_) recorded_.push_back({row.id, names});
  }

  static std::string id_of(const std::string& tenant, int n) { return "crt_" + tenant + "_" + std::to_string(n); }

  static std::string lower(std::string text) {
    for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return text;
  }

  // The oracle: which recorded certificates have a name matching.
  std::set<std::string> expected(const NamePart& part) const {
    std::set<std::string> ids;
    for (const auto& r : recorded_)
      for (const auto& name : r.names) {
        const std::string l = lower(name);
        const bool match = part.suffix ? l.size() >= part.text.size() && l.compare(l.size() - part.text.size(), part.text.size(), part.text) == 0
                                       : l.find(part.text) != std::string::npos;
        if (match) ids.insert(r.id);
      }
    return ids;
  }

  // Every certificate the listing finds, page by page; by_index_ says
  // whether the first page came through the trigram index.
  std::set<std::string> found(CertificateFilter f, int page_size = 1000) {
    std::set<std::string> ids;
    f.limit = page_size;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = list_certificates(*db_, acme_, f, Clock::now());
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      if (pages == 0) by_index_ = page->names_by_index;
      for (const auto& c : page->items) EXPECT_TRUE(ids.insert(c.id).second) << c.id << " listed twice";
      if (page->next_cursor.empty()) break;
      f.cursor = page->next_cursor;
    }
    return ids;
  }

  std::set<std::string> text(const std::string& t) {
    CertificateFilter f;
    f.texts = {t};
    return found(f);
  }

  std::string acme_, other_;
  bool old_schema_ = true;  // rows written before the upgrade, as schema 19 had them
  std::vector<Recorded> recorded_;
  bool by_index_ = false;
};

TEST_P(NameSearch, RareMatchesComeThroughTheTrigramIndex) {
  const auto present = read(*db_, [](soci::session& s) { return name_trigrams_present(s); });
  EXPECT_TRUE(present && *present) << "migration 20 made the index (pg_trgm is in Debian's postgresql)";
  const auto ids = text("svc-12");
  EXPECT_TRUE(by_index_) << "111 in the window's rows do not fill a page of 1,000";
  EXPECT_EQ(ids, expected({"svc-12", false}));
  EXPECT_EQ(ids.size(), 111u) << "svc-12, svc-120…129, svc-1200…1299; never the other tenant's svc-12";
}

// SQLite (migration 24): names recorded since wait for the background
// indexer; the index path reads them while they wait and after they moved,
// with the same answer. PostgreSQL's GIN index has no such queue.
TEST_P(NameSearch, NamesWaitingForTheIndexAreFoundBeforeAndAfterTheyMove) {
  const auto before = text("svc-12");
  EXPECT_TRUE(by_index_);
  EXPECT_EQ(before, expected({"svc-12", false}));
  if (GetParam() == test::TestDatabase::postgresql) return;
  auto count = [&](const std::string& table) {
    return read(*db_, [&](soci::session& s) {
      long long n = 0;
      s << "SELECT COUNT(*) FROM " + table, soci::into(n);
      return n;
    });
  };
  const long long names = *count("certificate_names");
  EXPECT_EQ(*count("certificate_names_to_index"), names - *count("certificate_name_grams"))
      << "every name is either indexed or waiting";
  EXPECT_GT(*count("certificate_names_to_index"), 0) << "the names recorded after the upgrade wait";
  long long moved = 0;
  for (int round = 0; round < 100; ++round) {  // batches of 500: several transactions
    long long now = 0;
    ASSERT_TRUE(db_->write([&](soci::session& s) { now = index_queued_names(s, 500); }));
    moved += now;
    if (now == 0) break;
  }
  EXPECT_GT(moved, 500) << "more than one batch";
  EXPECT_EQ(*count("certificate_names_to_index"), 0);
  EXPECT_EQ(*count("certificate_name_grams"), names);
  EXPECT_EQ(text("svc-12"), before);
  EXPECT_TRUE(by_index_);
  EXPECT_EQ(text("branch7.example.net"), expected({"branch7.example.net", false}));
}

TEST_P(NameSearch, CommonMatchesAreFoundRowByRowWithTheSameAnswer) {
  const auto ids = text("example");
  EXPECT_FALSE(by_index_) << "every row matches: the window fills the page";
  EXPECT_EQ(ids, expected({"example", false}));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kCertificates));
  CertificateFilter both;  // a common part and a rare one together: the longer one goes through the index
  both.texts = {"example", "alt-99"};
  EXPECT_EQ(found(both), expected({"alt-99", false}));
  EXPECT_TRUE(by_index_);
  CertificateFilter few_rows;  // the rows run out within the window: that is the whole answer
  few_rows.common_name = "svc-42.example.com";
  few_rows.texts = {"svc-4"};
  EXPECT_EQ(found(few_rows), std::set<std::string>{id_of("acme", 42)});
  EXPECT_FALSE(by_index_);
}

TEST_P(NameSearch, SuffixesMatchOnlyTheEndOfAName) {
  CertificateFilter f;
  f.name_suffix = "*.branch7.example.net";
  const auto ids = found(f);
  EXPECT_TRUE(by_index_);
  EXPECT_EQ(ids, expected({".branch7.example.net", true}));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kCertificates / 100)) << "one in a hundred; the names ending "
                                                                          ".branch7.example.net.evil.com do not count";
  // In pages of 50, the window's one in a hundred promises a page within
  // the rows that are left: it reads on instead of using the index.
  EXPECT_EQ(found(f, 50), expected({".branch7.example.net", true}));
  EXPECT_FALSE(by_index_);
  f.name_suffix = "*.internal";
  EXPECT_EQ(found(f).size(), static_cast<std::size_t>(kCertificates));
  EXPECT_FALSE(by_index_);
}

TEST_P(NameSearch, LikeWildcardsAreLiteralAndCaseIsIgnored) {
  EXPECT_EQ(text("ops_team"), expected({"ops_team", false}));
  EXPECT_EQ(text("ops_team").size(), static_cast<std::size_t>(kCertificates / 1000 + 1)) << "opsxteam is not ops_team";
  EXPECT_TRUE(by_index_);
  EXPECT_TRUE(text("ops%team").empty());
  EXPECT_EQ(text("SVC-UPPER.example"), std::set<std::string>{id_of("acme", 77)});
}

TEST_P(NameSearch, BothWaysFoldAsciiCaseOnlyAndAgree) {
  // Rare: the trigram index. Alone in a one-row listing: the window.
  EXPECT_EQ(text("ÜBER-88"), std::set<std::string>{id_of("acme", 88)});
  EXPECT_TRUE(by_index_);
  CertificateFilter alone;
  alone.common_name = "ÜBER-88.example.com";
  alone.texts = {"ÜBER-88"};
  EXPECT_EQ(found(alone), std::set<std::string>{id_of("acme", 88)});
  EXPECT_FALSE(by_index_);
  EXPECT_TRUE(text("über-88").empty()) << "Ü is not ü: only ASCII case is ignored";
  alone.texts = {"über-88"};
  EXPECT_TRUE(found(alone).empty()) << "the same on the window's side";
  // Recorded before migration 20, found through the index it built.
  EXPECT_EQ(text("svc-42.example"), std::set<std::string>{id_of("acme", 42)});
  EXPECT_TRUE(by_index_);
}

TEST_P(NameSearch, ShortPartsAreTestedOnEveryRowAndNeverMatchTheSansJsonKeys) {
  EXPECT_TRUE(text("%").empty()) << "a literal %, in no name";
  EXPECT_EQ(text("_"), expected({"_", false}));
  EXPECT_EQ(text("_").size(), static_cast<std::size_t>(kCertificates / 1000 + 1)) << "a literal _: ops_team only";
  EXPECT_EQ(text("UP"), std::set<std::string>{id_of("acme", 77)});
  EXPECT_FALSE(by_index_) << "two characters have no trigram";
  EXPECT_TRUE(text("ns").empty()) << "\"dns\" is a key of the SANs' JSON, not a name";
  EXPECT_TRUE(text("dns").empty());
  EXPECT_TRUE(text("email").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, NameSearch, test_db::both_engines(), test_db::engine_name);

}  // namespace
}  // namespace signet::host
