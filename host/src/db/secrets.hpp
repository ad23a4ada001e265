// The secrets table: one row per path of the secrets API, with the version
// the store holds now and the path's rotation policy (docs/secrets.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// The version recorded for a path; nullopt when the path has no row.
Result<std::optional<long long>> current_secret_version(Database& db, const std::string& tenant_id,
                                                        const std::string& path);

// A path as GET /v1/secrets lists it.
struct SecretPath {
  std::string path;
  long long current_version = 0;
  std::optional<std::chrono::milliseconds> rotation_interval;  // none: never rotated
  std::optional<TimePoint> rotate_at;
  TimePoint updated_at{};
};
// A tenant's paths that start with `prefix` (taken literally), by path,
// from after `after` ("" = from the start).
Result<std::vector<SecretPath>> list_secret_paths(Database& db, const std::string& tenant_id, const std::string& prefix,
                                                  const std::string& after, int limit);

struct DueRotation {
  std::string tenant_id, path;
  long long version = 0;
  TimePoint rotate_at{};
};
// Paths whose rotate_at has come by `now` and that have no rotation event
// for it yet.
Result<std::vector<DueRotation>> secrets_due_for_rotation(Database& db, TimePoint now, int limit);

// Inside a write transaction (throw on database errors):

// The path's row for its first version; a no-op when the row exists.
void insert_secret_path_if_absent(soci::session& s, const std::string& tenant_id, const std::string& path,
                                  const std::string& store, long long version, TimePoint now);
// Sets the path's rotation interval; nullopt clears it.
void set_rotation_interval(soci::session& s, const std::string& tenant_id, const std::string& path,
                           std::optional<std::chrono::milliseconds> interval);
// nullopt when the path has none (or no row).
std::optional<std::chrono::milliseconds> rotation_interval(soci::session& s, const std::string& tenant_id,
                                                           const std::string& path);
// Records `version` as current, when to rotate it next (nullopt: never) and
// that no rotation event was raised for it yet. A version older than the one
// recorded (two writes settled out of order) leaves the row alone.
void set_current_version(soci::session& s, const std::string& tenant_id, const std::string& path, long long version,
                         TimePoint now, std::optional<TimePoint> rotate_at);
// The rotation event for the path's current rotate_at was recorded `at`.
void mark_rotation_announced(soci::session& s, const std::string& tenant_id, const std::string& path, TimePoint at);

}  // namespace signet::host
