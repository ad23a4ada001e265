// Statements prepared once per connection and run many times. soci
// prepares whatever it is handed on every call, and on the write path
// (a dozen small INSERTs per issued certificate) parsing the SQL cost more
// than running it (profile in docs/BENCHMARKS.md). Inside a group commit
// the committer's connection keeps its statements; anywhere else
// execute() prepares, runs and drops, so the same code serves both.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <soci/soci.h>

#include "util/time.hpp"

namespace signet::host {

// One bound value: text or a number, either of which may be NULL. The kind
// is part of the statement: a parameter keeps it across executions.
class SqlParam {
 public:
  enum class Kind { text, number };
  SqlParam(const std::string& text) : kind_(Kind::text), text_(text) {}  // NOLINT: implicit on purpose
  SqlParam(const char* text) : kind_(Kind::text), text_(text) {}         // NOLINT
  SqlParam(long long number) : kind_(Kind::number), number_(number) {}   // NOLINT
  SqlParam(int number) : kind_(Kind::number), number_(number) {}         // NOLINT
  static SqlParam null_text() { return SqlParam(Kind::text); }
  static SqlParam null_number() { return SqlParam(Kind::number); }
  // NULL for an empty string: optional text columns.
  static SqlParam text_or_null(const std::string& text) { return text.empty() ? null_text() : SqlParam(text); }

  Kind kind() const { return kind_; }
  bool is_null() const { return null_; }
  std::string_view text() const { return text_; }
  long long number() const { return number_; }

 private:
  explicit SqlParam(Kind kind) : kind_(kind), null_(true) {}
  Kind kind_;
  bool null_ = false;
  std::string_view text_;
  long long number_ = 0;
};

// What a statement's first result column is bound to.
enum class ResultKind { none, number, text };

// A connection's prepared statements, keyed by their SQL text.
class StatementCache {
 public:
  explicit StatementCache(soci::session& session) : session_(session) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  soci::session& session() { return session_; }
  // Makes this cache the one execute() uses for its session on this thread
  // until the returned guard goes away.
  class Active;

  struct Entry;
  Entry& entry(const std::string& sql, const std::vector<SqlParam>& params, ResultKind kind);
  void forget(const std::string& sql);
  void clear();  // every statement, before the session reconnects

 private:
  soci::session& session_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // shared_ptr: Entry is incomplete here
};

class StatementCache::Active {
 public:
  explicit Active(StatementCache& cache);
  ~Active();
  Active(const Active&) = delete;
  Active& operator=(const Active&) = delete;

 private:
  StatementCache* previous_;
};

// Runs sql with params bound by position, in order of appearance; each
// placeholder needs a name of its own (SQLite gives all uses of a name one
// value). Returns the number of rows the statement changed. Prepared once when a cache is active for s.
long long execute(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params);

// The first column of the first row as a number (COUNT, MAX …); nullopt when
// there is no row or the value is NULL.
std::optional<long long> query_number(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params);
// The same for a text column.
std::optional<std::string> query_text(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params);

// Which engine a session talks to, where their SQL differs.
inline bool is_postgres(soci::session& s) { return s.get_backend_name() == "postgresql"; }

// Column i of a row as text, "" when NULL.
inline std::string text_at(const soci::row& r, std::size_t i) {
  return r.get_indicator(i) == soci::i_ok ? r.get<std::string>(i) : std::string();
}

// Column i of a row as a number, whatever integer type the engine gave it
// (SQLite and PostgreSQL differ for INTEGER, BIGINT and COUNT); 0 when NULL.
inline long long number_at(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) != soci::i_ok) return 0;
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_integer: return r.get<int>(i);
    case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
    case soci::dt_double: return static_cast<long long>(r.get<double>(i));
    case soci::dt_string: return std::stoll(r.get<std::string>(i));
    default: return r.get<long long>(i);
  }
}

// Column i of a row, a time in unix milliseconds, or nothing when NULL.
inline std::optional<TimePoint> time_at(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) != soci::i_ok) return std::nullopt;
  return from_unix_ms(r.get<long long>(i));
}

}  // namespace signet::host
