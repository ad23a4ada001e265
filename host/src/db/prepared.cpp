#include "db/prepared.hpp"

namespace signet::host {
namespace {

thread_local StatementCache* tls_active = nullptr;

// execute() on a query still binds its first column (as a number): soci
// needs somewhere to put a row.
ResultKind result_of(const std::string& sql) { return sql.rfind("SELECT", 0) == 0 ? ResultKind::number : ResultKind::none; }

}  // namespace

// A prepared statement and the slots its parameters are bound to: soci
// binds by reference, and reads the slots again at every execution.
struct StatementCache::Entry {
  Entry(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params, ResultKind kind)
      : statement(s), kinds(params.size()), texts(params.size()), numbers(params.size()),
        indicators(params.size(), soci::i_ok), result_kind(kind) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      kinds[i] = params[i].kind();
      if (kinds[i] == SqlParam::Kind::text) statement.exchange(soci::use(texts[i], indicators[i]));
      else statement.exchange(soci::use(numbers[i], indicators[i]));
    }
    if (result_kind == ResultKind::number) statement.exchange(soci::into(result, result_indicator));
    if (result_kind == ResultKind::text) statement.exchange(soci::into(text_result, result_indicator));
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
  }

  // False when a parameter's kind differs from the one prepared.
  bool bind(const std::vector<SqlParam>& params) {
    if (params.size() != kinds.size()) return false;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      if (p.kind() != kinds[i]) return false;
      indicators[i] = p.is_null() ? soci::i_null : soci::i_ok;
      if (p.is_null()) continue;
      if (p.kind() == SqlParam::Kind::text) texts[i].assign(p.text());
      else numbers[i] = p.number();
    }
    return true;
  }

  soci::statement statement;
  std::vector<SqlParam::Kind> kinds;
  std::vector<std::string> texts;
  std::vector<long long> numbers;
  std::vector<soci::indicator> indicators;
  const ResultKind result_kind;
  long long result = 0;
  std::string text_result;
  soci::indicator result_indicator = soci::i_null;
};

StatementCache::~StatementCache() = default;

StatementCache::Entry& StatementCache::entry(const std::string& sql, const std::vector<SqlParam>& params,
                                             ResultKind kind) {
  auto found = entries_.find(sql);
  if (found != entries_.end() && found->second->result_kind == kind && found->second->bind(params)) return *found->second;
  auto made = std::make_shared<Entry>(session_, sql, params, kind);
  made->bind(params);
  Entry& kept = *made;
  entries_[sql] = std::move(made);
  return kept;
}

void StatementCache::forget(const std::string& sql) { entries_.erase(sql); }

void StatementCache::clear() {
  // Prepared statements belong to the connection they were made on (SOCI's
  // PostgreSQL backend deallocates them as they go, ignoring a dead
  // connection: the PostgresRestart e2e test runs exactly this).
  entries_.clear();
}

StatementCache::Active::Active(StatementCache& cache) : previous_(tls_active) { tls_active = &cache; }
StatementCache::Active::~Active() { tls_active = previous_; }

namespace {

// Runs f on sql's entry: the active cache's when it serves s, else a
// statement made for this one call. A statement that threw is dropped, so
// the next call prepares it afresh.
template <class F>
auto with_entry(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params, ResultKind kind, F f) {
  if (tls_active && &tls_active->session() == &s) {
    try {
      return f(tls_active->entry(sql, params, kind));
    } catch (...) {
      tls_active->forget(sql);
      throw;
    }
  }
  StatementCache::Entry once(s, sql, params, kind);
  once.bind(params);
  return f(once);
}

}  // namespace

// The first row's first column, then the rest run to the end: a SQLite
// statement left mid-result keeps its read snapshot, and that connection
// could then never start a write again.
template <class Read>
auto first_of(StatementCache::Entry& e, Read read) -> std::optional<decltype(read())> {
  e.result_indicator = soci::i_null;
  const bool got = e.statement.execute(true);
  std::optional<decltype(read())> first;
  if (got && e.result_indicator == soci::i_ok) first = read();
  while (got && e.statement.fetch()) {}
  return first;
}

long long execute(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params) {
  return with_entry(s, sql, params, result_of(sql), [](StatementCache::Entry& e) {
    e.statement.execute(true);
    return e.statement.get_affected_rows();
  });
}

std::optional<long long> query_number(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params) {
  return with_entry(s, sql, params, ResultKind::number, [](StatementCache::Entry& e) {
    return first_of(e, [&] { return e.result; });
  });
}

std::optional<std::string> query_text(soci::session& s, const std::string& sql, const std::vector<SqlParam>& params) {
  return with_entry(s, sql, params, ResultKind::text, [](StatementCache::Entry& e) {
    return first_of(e, [&] { return e.text_result; });
  });
}

}  // namespace signet::host
