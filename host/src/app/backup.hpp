// `signet backup` and `signet restore`: a host's state as one ZIP file with
// a manifest of every file's size, mode and SHA-256, taken while the host
// runs (docs/operations.md, "Backup and restore").
//
// What is in it: everything under data_dir as it is stored (encrypted keys
// stay encrypted), each SQLite database (the host's own, store-local's …)
// copied with SQLite's online backup API. The host's database is copied
// first: every key, secret or CA file it refers to already existed then,
// so the copy of it taken afterwards is there too. A PostgreSQL database is
// not in it: pg_dump is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <signet/result.hpp>

#include "config/config.hpp"

namespace signet::host {

struct BackupSummary {
  std::size_t files = 0;
  std::uint64_t bytes = 0;  // before compression
  int schema_version = 0;   // of the database in the backup; 0 when it is not in it
  bool database_included = false;
  std::vector<std::string> warnings;  // state the backup does not hold
};

// Writes `out` (0600), or nothing: a partial file never has its name.
Result<BackupSummary> make_backup(const Config& config, const std::string& out);

struct RestoreSummary {
  std::size_t files = 0;
  int schema_version = 0;
  bool database_included = false;
  std::string created_at;
};

// Checks every entry of `archive` against its manifest, then makes
// `data_dir` (which must be absent or empty) with them, or nothing.
Result<RestoreSummary> restore_backup(const std::string& archive, const std::string& data_dir);

}  // namespace signet::host
