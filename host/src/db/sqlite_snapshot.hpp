// A consistent copy of a SQLite database while other processes write to it:
// SQLite's online backup API (https://sqlite.org/backup.html) copies every
// page under one read transaction, so the copy is the database as one
// commit left it, whatever the host commits meanwhile (in WAL mode writers
// are not blocked). For `signet backup`.
#pragma once

#include <string>

#include <signet/result.hpp>

namespace signet::host {

// Whether `path` starts with SQLite's file header ("SQLite format 3\0").
bool is_sqlite_file(const std::string& path);

// Copies the database at `source` into a new file `destination`.
Result<void> snapshot_sqlite(const std::string& source, const std::string& destination);

}  // namespace signet::host
