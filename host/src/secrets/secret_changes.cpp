#include "secrets/secret_changes.hpp"

#include "db/audit.hpp"
#include "db/secrets.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr int kSettledPerRound = 100;

void record(soci::session& s, const SecretChange& c, const std::string& outcome, json detail) {
  append_audit(s, {c.tenant_id, c.principal, c.auth, c.source, "secret." + c.action, c.path, outcome, c.request_id,
                   std::move(detail)});
}

// The path's row for `version`. A new version restarts the rotation
// interval; the policy stays unless the write set it. A version older than
// the one recorded (two writes settled out of order) leaves the row alone.
long long record_version(soci::session& s, const SecretChange& c, long long version) {
  const TimePoint now = Clock::now();
  insert_secret_path_if_absent(s, c.tenant_id, c.path, c.store, version, now);
  if (c.detail.contains("rotation_interval_ms")) {  // a number sets it, null (or anything else) clears it
    const json& every = c.detail.at("rotation_interval_ms");
    set_rotation_interval(s, c.tenant_id, c.path,
                          every.is_number() ? std::optional(std::chrono::milliseconds(every.get<long long>()))
                                            : std::nullopt);
  }
  const auto every = rotation_interval(s, c.tenant_id, c.path);
  const std::optional<TimePoint> rotate_at = every ? std::optional(now + *every) : std::nullopt;
  set_current_version(s, c.tenant_id, c.path, version, now, rotate_at);
  return rotate_at ? to_unix_ms(*rotate_at) : 0;
}

}  // namespace

Result<void> SecretChanges::announce(const SecretChange& c) {
  return announce_secret_change(db_, c, Clock::now());
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
    forget_secret_change(s, c.request_id);
  });
}

void SecretChanges::remember_refusal(const SecretChange& c, const std::string& error_code) {
  json detail = c.detail;
  detail["refused"] = error_code;
  auto kept = set_secret_change_detail(db_, c.request_id, detail);
  if (!kept)
    log_.warn("cannot keep a secret change's refusal", {{"request_id", c.request_id}, {"error", kept.error().message}});
}

void SecretChanges::settle_unsettled() {
  auto unsettled = secret_changes_announced_before(db_, Clock::now() - kUnsettledAfter, kSettledPerRound);
  if (!unsettled) {
    log_.warn("cannot look for interrupted secret changes", {{"error", unsettled.error().message}});
    return;
  }
  for (const auto& c : unsettled.value()) settle_interrupted(c);
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
  auto version = current_secret_version(db_, c.tenant_id, c.path);
  if (!version) return std::move(version).error();
  const std::optional<long long> recorded = version.value();
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
