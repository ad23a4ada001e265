#include "secrets/secret_changes.hpp"

#include "db/audit.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr int kSettledPerRound = 100;

void forget(soci::session& s, const SecretChange& c) {
  execute(s, "DELETE FROM secret_changes WHERE request_id = :r", {c.request_id});
}

void record(soci::session& s, const SecretChange& c, const std::string& outcome, json detail) {
  append_audit(s, {c.tenant_id, c.principal, c.auth, c.source, "secret." + c.action, c.path, outcome, c.request_id,
                   std::move(detail)});
}

std::optional<long long> current_version(soci::session& s, const SecretChange& c) {
  return query_number(s, "SELECT current_version FROM secrets WHERE tenant_id = :t AND path = :p",
                      {c.tenant_id, c.path});
}

// The path's row for `version`. A new version restarts the rotation
// interval; the policy stays unless the write set it. A version older than
// the one recorded (two writes settled out of order) leaves the row alone.
long long record_version(soci::session& s, const SecretChange& c, long long version) {
  const long long now = to_unix_ms(Clock::now());
  execute(
      s,
      "INSERT INTO secrets (tenant_id, path, store, current_version, created_at, updated_at) SELECT :t, :p, :s, :v, "
      ":c, :u WHERE NOT EXISTS (SELECT 1 FROM secrets WHERE tenant_id = :t2 AND path = :p2)",
      {c.tenant_id, c.path, c.store, version, now, now, c.tenant_id, c.path});
  if (c.detail.contains("rotation_interval_ms")) {
    const json& every = c.detail.at("rotation_interval_ms");
    execute(s, "UPDATE secrets SET rotation_interval_ms = :i WHERE tenant_id = :t AND path = :p",
            {every.is_number() ? SqlParam(every.get<long long>()) : SqlParam::null_number(), c.tenant_id, c.path});
  }
  const auto every = query_number(s, "SELECT rotation_interval_ms FROM secrets WHERE tenant_id = :t AND path = :p",
                                  {c.tenant_id, c.path});
  const long long rotate_at = every ? now + *every : 0;
  execute(s,
          "UPDATE secrets SET current_version = :v, updated_at = :u, rotate_at = :r, rotation_event_at = NULL "
          "WHERE tenant_id = :t AND path = :p AND current_version <= :v2",
          {version, now, rotate_at ? SqlParam(rotate_at) : SqlParam::null_number(), c.tenant_id, c.path, version});
  return rotate_at;
}

SecretChange change_of(const soci::row& r) {
  SecretChange c{text_at(r, 0), text_at(r, 1), text_at(r, 2), text_at(r, 3),
                 text_at(r, 4), text_at(r, 5), text_at(r, 6), text_at(r, 7)};
  c.detail = json::parse(text_at(r, 8), nullptr, false);
  if (!c.detail.is_object()) c.detail = json::object();
  return c;
}

}  // namespace

Result<void> SecretChanges::announce(const SecretChange& c) {
  return db_.write([&](soci::session& s) {
    execute(s,
            "INSERT INTO secret_changes (request_id, tenant_id, path, store, action, principal, auth, source, detail, "
            "created_at) VALUES (:r, :t, :p, :s, :a, :w, :h, :o, :d, :c)",
            {c.request_id, c.tenant_id, c.path, c.store, c.action, c.principal, c.auth, c.source, c.detail.dump(),
             static_cast<long long>(to_unix_ms(Clock::now()))});
  });
}

Result<long long> SecretChanges::settle_write(const SecretChange& c, std::uint64_t version, const json& audit_extra) {
  long long rotate_at = 0;
  auto settled = settle(c, "success", {{"version", version}}, audit_extra,
                        [&](soci::session& s) { rotate_at = record_version(s, c, static_cast<long long>(version)); });
  if (!settled) return std::move(settled).error();
  return rotate_at;
}

Result<void> SecretChanges::settle_delete(const SecretChange& c, const json& audit_extra) {
  return settle(c, "success", {{"versions", c.detail.value("versions", json::array())}}, audit_extra);
}

Result<void> SecretChanges::settle_failure(const SecretChange& c, const std::string& error_code,
                                           const json& audit_extra) {
  return settle(c, "failure", {{"error", error_code}}, audit_extra);
}

Result<void> SecretChanges::settle(const SecretChange& c, const std::string& outcome, json detail,
                                   const json& audit_extra, const std::function<void(soci::session&)>& first) {
  detail.update(audit_extra);
  return db_.write([&](soci::session& s) {
    if (first) first(s);
    record(s, c, outcome, detail);
    forget(s, c);
  });
}

void SecretChanges::remember_refusal(const SecretChange& c, const std::string& error_code) {
  json detail = c.detail;
  detail["refused"] = error_code;
  auto kept = db_.write([&](soci::session& s) {
    execute(s, "UPDATE secret_changes SET detail = :d WHERE request_id = :r", {detail.dump(), c.request_id});
  });
  if (!kept)
    log_.warn("cannot keep a secret change's refusal", {{"request_id", c.request_id}, {"error", kept.error().message}});
}

void SecretChanges::settle_unsettled() {
  std::vector<SecretChange> unsettled;
  const long long before = to_unix_ms(Clock::now() - kUnsettledAfter);
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT request_id, tenant_id, path, store, action, principal, auth, source, detail FROM "
                      "secret_changes WHERE created_at <= :b ORDER BY created_at LIMIT "
                   << kSettledPerRound,
         soci::use(before));
    for (const auto& r : rows) unsettled.push_back(change_of(r));
  } catch (const std::exception& e) {
    log_.warn("cannot look for interrupted secret changes", {{"error", database_error(e).message}});
    return;
  }
  for (const auto& c : unsettled) settle_interrupted(c);
}

void SecretChanges::settle_interrupted(const SecretChange& c) {
  const json by_round = {{"settled_by", "lifecycle"}};
  json fields = {{"path", c.path}, {"action", c.action}, {"request_id", c.request_id}};
  Result<void> settled;
  bool happened = false;
  if (const auto refusal = c.detail.find("refused"); refusal != c.detail.end() && refusal->is_string()) {
    settled = settle_failure(c, refusal->get<std::string>(), by_round);  // the store said no: not asked again
  } else {
    auto reached = reached_store(c);
    if (!reached) {  // the store cannot say now: the next round asks again
      fields["error"] = reached.error().message;
      log_.warn("cannot settle an interrupted secret change yet", fields);
      return;
    }
    happened = reached.value() != 0;
    if (!happened)
      settled = settle_failure(c, "interrupted", by_round);
    else if (c.action == "write") {
      auto written = settle_write(c, reached.value(), by_round);
      if (!written) settled = std::move(written).error();
    } else
      settled = settle_delete(c, by_round);
  }
  if (!settled) {
    fields["error"] = settled.error().message;
    log_.warn("cannot settle an interrupted secret change", fields);
    return;
  }
  fields["outcome"] = happened ? "success" : "failure";
  log_.info("settled an interrupted secret change", fields);
}

Result<std::uint64_t> SecretChanges::reached_store(const SecretChange& c) {
  auto store = instances_.store(c.store);
  if (!store) return make_error(ErrorCode::unavailable, "no store instance named " + c.store + " any more");
  std::optional<long long> recorded;
  try {
    Connection connection(db_);
    recorded = current_version(*connection, c);
  } catch (const std::exception& e) {
    return database_error(e);
  }
  const std::string store_path = secret_store_path(c.tenant_id, c.path);
  if (c.action == "write") {
    // The write made a version when the store's newest is one the path's row does not know yet.
    auto newest = store->get({store_path, std::nullopt});
    if (!newest)
      return newest.error().code == ErrorCode::not_found ? Result<std::uint64_t>(0) : std::move(newest).error();
    const bool made = !recorded || static_cast<long long>(newest->version) > *recorded;
    return made ? newest->version : 0;
  }
  // A delete happened when none of the versions it named can be read.
  std::vector<std::uint64_t> versions;
  for (const auto& v : c.detail.value("versions", json::array()))
    if (v.is_number_unsigned()) versions.push_back(v.get<std::uint64_t>());
  if (versions.empty() && recorded) versions.push_back(static_cast<std::uint64_t>(*recorded));
  if (versions.empty()) return 0;
  for (const auto v : versions) {
    auto secret = store->get({store_path, v});
    if (secret) return 0;
    if (secret.error().code != ErrorCode::not_found) return std::move(secret).error();
  }
  return 1;
}

}  // namespace signet::host
