#include "db/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include "db/prepared.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace {

const std::string kSelectAll = std::string(kAuditColumns) + " FROM audit_log ORDER BY seq";

}  // namespace

StoredAudit stored_audit_of(const soci::row& r) {
  return {r.get<long long>(0), r.get<std::string>(1), r.get<long long>(2), r.get<std::string>(3), text_at(r, 4),
          text_at(r, 5),       r.get<std::string>(6), text_at(r, 7),        r.get<std::string>(8), text_at(r, 9),
          r.get<std::string>(10), text_at(r, 11), text_at(r, 12)};
}

std::string audit_record_hash(const StoredAudit& r) {
  const nlohmann::json canonical = {
      {"seq", r.seq},         {"tenant", r.tenant_id},   {"time", r.time},       {"principal", r.principal},
      {"auth", r.auth},       {"source", r.source},      {"action", r.action},   {"object", r.object},
      {"outcome", r.outcome}, {"request_id", r.request_id}, {"detail", r.detail}, {"prev_hash", r.prev_hash}};
  return sha256_hex(canonical.dump());
}

nlohmann::json audit_json(const StoredAudit& r) {
  using nlohmann::json;
  auto or_null = [](const std::string& text) { return text.empty() ? json(nullptr) : json(text); };
  return {{"seq", r.seq},
          {"time", to_rfc3339(from_unix_ms(r.time))},
          {"tenant_id", or_null(r.tenant_id)},
          {"principal", or_null(r.principal)},
          {"auth", or_null(r.auth)},
          {"source", or_null(r.source)},
          {"action", r.action},
          {"object", or_null(r.object)},
          {"outcome", r.outcome},
          {"request_id", or_null(r.request_id)},
          {"detail", json::parse(r.detail, nullptr, false)},
          {"prev_hash", r.prev_hash},
          {"hash", r.hash}};
}

Result<std::vector<StoredAudit>> audit_records_after(Database& db, long long after_seq, int limit) {
  return read(db, [&](soci::session& s) -> Result<std::vector<StoredAudit>> {
    soci::rowset<soci::row> rows =
        (s.prepare << std::string(kAuditColumns) + " FROM audit_log WHERE seq > :after ORDER BY seq LIMIT :n",
         soci::use(after_seq), soci::use(limit));
    std::vector<StoredAudit> out;
    for (const auto& row : rows) out.push_back(stored_audit_of(row));
    return out;
  });
}

Result<ChainReport> verify_audit_chain(Database& db) {
  return read(db, [&](soci::session& s) -> Result<ChainReport> {
    soci::rowset<soci::row> rows = (s.prepare << kSelectAll);
    ChainReport report;
    std::string expected_prev(kAuditGenesis);
    long long expected_seq = 1;
    for (const auto& row : rows) {
      const StoredAudit r = stored_audit_of(row);
      auto broken = [&](std::string problem) {
        report.broken_seq = r.seq;
        report.problem = std::move(problem);
      };
      if (r.seq != expected_seq) broken("records " + std::to_string(expected_seq) + " to " + std::to_string(r.seq - 1) + " are missing");
      else if (r.prev_hash != expected_prev) broken("it does not follow the record before it (one was deleted, inserted or moved)");
      else if (audit_record_hash(r) != r.hash) broken("its content does not match its hash (it was modified)");
      if (report.broken_seq) return report;
      report.records += 1;
      report.head_seq = r.seq;
      report.head_hash = r.hash;
      expected_prev = r.hash;
      expected_seq = r.seq + 1;
    }
    return report;
  });
}

void chain_existing_audit(soci::session& s) {
  std::vector<StoredAudit> records;
  {
    soci::rowset<soci::row> rows = (s.prepare << kSelectAll);
    for (const auto& row : rows) records.push_back(stored_audit_of(row));
  }
  std::string prev(kAuditGenesis);
  for (auto& r : records) {
    r.prev_hash = prev;
    r.hash = audit_record_hash(r);
    s << "UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s", soci::use(r.prev_hash), soci::use(r.hash),
        soci::use(r.seq);
    prev = r.hash;
  }
}

}  // namespace signet::host
