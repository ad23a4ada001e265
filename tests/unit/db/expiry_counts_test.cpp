// The overview's expiring counts and the expiry timeline (migration 21:
// certificate_expiry_days kept by triggers, partial days read from the
// index; the weekly table of migration 17 still kept for the previous
// release), on a real SQLite file and a real PostgreSQL server: certificates
// recorded under migration 20's weekly triggers, then more after the
// upgrade, revoked and renewed ones among them; at clock readings on a day
// boundary, a millisecond before one and mid-day, every count equals a
// plain COUNT(*) over the certificates, including rows that expire exactly
// at the edges of a window.
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "db/certificate_counts.hpp"
#include "db/certificates.hpp"
#include "db/prepared.hpp"
#include "db/tenants.hpp"
#include "engine_database.hpp"

namespace signet::host {
namespace {

class ExpiryCounts : public test_db::EngineDatabaseTest {
 protected:
  void record(const std::string& id, long long not_after_ms, const std::string& ca = "internal") {
    record_in(tenant_, id, not_after_ms, ca);
  }
  void record_in(const std::string& tenant, const std::string& id, long long not_after_ms, const std::string& ca) {
    CertificateRow row;
    row.id = id;
    row.tenant_id = tenant;
    row.request_id = "req_" + id;
    row.ca = ca;
    row.serial = id;
    row.common_name = id;
    row.profile = "default";
    row.status = "active";
    row.not_after = from_unix_ms(not_after_ms);
    row.created_at = row.not_before = row.not_after - std::chrono::hours(24 * 400);
    const auto written = db_->write([&](soci::session& s) {
      if (old_schema_) test_db::insert_certificate_before_22(s, CertificateColumns(row));
      else insert_certificate(s, CertificateColumns(row));
    });
    ASSERT_TRUE(written) << written.error().message;
  }

  // n certificates spread over [-5, 100) days from base, every 7th revoked
  // and every 5th replaced by a renewal.
  void record_spread(const std::string& prefix, int n, std::mt19937_64& random) {
    std::uniform_int_distribution<long long> offset(-5 * kDayMs, 100 * kDayMs);
    for (int i = 0; i < n; ++i) {
      const std::string id = prefix + std::to_string(i);
      record(id, base_ + offset(random), i % 2 ? "internal" : "other");
      if (i % 7 == 3) execute_sql("UPDATE certificates SET status = 'revoked', revoked_at = " + std::to_string(base_) +
                                  " WHERE id = '" + id + "'");
      if (i % 5 == 1) execute_sql("UPDATE certificates SET renewed_by = 'next_" + id + "' WHERE id = '" + id + "'");
    }
  }

  void execute_sql(const std::string& sql) {
    const auto done = db_->write([&](soci::session& s) { s << sql; });
    ASSERT_TRUE(done) << done.error().message;
  }

  long long counted(const std::string& where, bool both_tenants = false) {
    auto n = read(*db_, [&](soci::session& s) {
      long long count = 0;
      soci::row row;
      const std::string tenants = "'" + tenant_ + "'" + (both_tenants ? ", '" + beta_ + "'" : "");
      s << "SELECT COUNT(*) FROM certificates WHERE tenant_id IN (" + tenants + ") AND status = 'active' AND "
           "renewed_by IS NULL AND " + where, soci::into(row);
      count = number_at(row, 0);
      return count;
    });
    EXPECT_TRUE(n);
    return n ? *n : -1;
  }

  void expect_counts_at(long long at) {
    SCOPED_TRACE("at " + std::to_string(at) + " (" + std::to_string(at % kDayMs) + " ms into the day)");
    auto t = timely_counts(*db_, {tenant_}, from_unix_ms(at), true);
    ASSERT_TRUE(t) << t.error().message;
    auto window = [&](long long days) {
      return counted("not_after > " + std::to_string(at) + " AND not_after <= " + std::to_string(at + days * kDayMs));
    };
    EXPECT_EQ(t->expiring_7d, window(7));
    EXPECT_EQ(t->expiring_30d, window(30));
    EXPECT_EQ(t->expiring_90d, window(90));
    EXPECT_GT(t->expiring_30d, 0);
    auto both = timely_counts(*db_, {tenant_, beta_}, from_unix_ms(at), true);  // the all-tenants overview
    ASSERT_TRUE(both) << both.error().message;
    EXPECT_EQ(both->expiring_30d, counted("not_after > " + std::to_string(at) + " AND not_after <= " +
                                          std::to_string(at + 30 * kDayMs), true));
    EXPECT_GT(both->expiring_30d, t->expiring_30d);

    const TimePoint from = from_unix_ms(at), until = from + std::chrono::hours(24 * 7 * 26);
    auto weeks = expiry_weeks(*db_, {tenant_}, from, until);
    ASSERT_TRUE(weeks) << weeks.error().message;
    long long total = 0;
    for (const auto& w : weeks.value()) {
      const long long start = to_unix_ms(w.week_start);
      EXPECT_EQ(start % kWeekMs, 0);
      EXPECT_EQ(w.count, counted("ca = '" + w.ca + "' AND not_after >= " + std::to_string(start) + " AND not_after < " +
                                 std::to_string(start + kWeekMs)));
      total += w.count;
    }
    const long long first_week = at / kWeekMs * kWeekMs, end_week = (to_unix_ms(until) + kWeekMs - 1) / kWeekMs * kWeekMs;
    EXPECT_EQ(total, counted("not_after >= " + std::to_string(first_week) + " AND not_after < " + std::to_string(end_week)));
  }

  std::string tenant_, beta_;
  bool old_schema_ = false;  // set while rows are written into schema 20, before the upgrade
  const long long base_ = 1'800'000'000'123LL;  // 2027-01-15, not on a day boundary
};

TEST_P(ExpiryCounts, EveryWindowAndWeekEqualsACountOfTheCertificates) {
  open_database(20);
  if (HasFatalFailure()) return;
  old_schema_ = true;
  tenant_ = ensure_tenant(*db_, "acme", "Acme").value().id;
  beta_ = ensure_tenant(*db_, "beta", "Beta").value().id;
  std::mt19937_64 random(26);
  record_spread("before_", 300, random);  // counted by week, then by the upgrade
  std::uniform_int_distribution<long long> offset(0, 40 * kDayMs);
  for (int i = 0; i < 50; ++i) record_in(beta_, "beta_" + std::to_string(i), base_ + offset(random), "internal");

  ASSERT_TRUE(db_->migrate());
  old_schema_ = false;
  EXPECT_EQ(db_->schema_version(), Database::known_schema_version());
  record_spread("after_", 300, random);
  const long long day = base_ / kDayMs * kDayMs;
  // Rows on the edges of the windows read at `base_`: out, in, in, out.
  record("edge_now", base_);
  record("edge_next", base_ + 1);
  record("edge_7d", base_ + 7 * kDayMs);
  record("edge_7d_after", base_ + 7 * kDayMs + 1);
  record("edge_day", day + 8 * kDayMs);

  for (long long at : {base_, day, day - 1, day + 12 * 3600 * 1000 + 17, base_ + 3 * kDayMs + 5})
    expect_counts_at(at);

  // Hundreds of tenants are counted in chunks; the sums are the same.
  std::vector<std::string> many;
  for (int i = 0; i < 450; ++i) many.push_back("tnt_none_" + std::to_string(i));
  many.insert(many.begin() + 230, tenant_);
  many.push_back(beta_);
  auto chunked = timely_counts(*db_, many, from_unix_ms(base_), true);
  auto both = timely_counts(*db_, {tenant_, beta_}, from_unix_ms(base_), true);
  ASSERT_TRUE(chunked && both);
  EXPECT_EQ(chunked->expiring_30d, both->expiring_30d);
  EXPECT_EQ(chunked->expiring_90d, both->expiring_90d);
  EXPECT_EQ(chunked->revoked_24h, both->revoked_24h);

  // The weekly table the previous release reads is still kept, and true.
  auto weeks = read(*db_, [&](soci::session& s) {
    std::vector<std::tuple<std::string, long long, long long>> out;
    soci::rowset<soci::row> rows = (s.prepare << "SELECT ca, week, n FROM certificate_expiry_weeks WHERE tenant_id = :t",
                                    soci::use(tenant_));
    for (const auto& r : rows) out.emplace_back(r.get<std::string>(0), number_at(r, 1), number_at(r, 2));
    return out;
  });
  ASSERT_TRUE(weeks);
  long long total = 0;
  for (const auto& [ca, week, n] : weeks.value()) {
    EXPECT_EQ(n, counted("ca = '" + ca + "' AND not_after >= " + std::to_string(week * kWeekMs) + " AND not_after < " +
                         std::to_string((week + 1) * kWeekMs)));
    total += n;
  }
  EXPECT_EQ(total, counted("1 = 1"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ExpiryCounts, test_db::both_engines(), test_db::engine_name);

}  // namespace
}  // namespace signet::host
