// A WHERE clause built from optional filters, and the values of its
// placeholders (:p0, :p1, ...), bound as text or numbers in order: the
// searches behind GET /v1/certificates and GET /v1/audit.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <soci/soci.h>

namespace signet::host {

class FilterQuery {
 public:
  explicit FilterQuery(std::string first_clause = "1 = 1") : where_(std::move(first_clause)) {}

  // A placeholder for the value, to use in a clause.
  std::string bind(const std::string& value);
  std::string bind(long long value);
  // "(:p1, :p2, ...)" for the values, "(NULL)" (matching nothing) for none.
  std::string bind_list(const std::vector<std::string>& values);
  void also(const std::string& clause) { where_ += " AND " + clause; }
  const std::string& where() const { return where_; }

  // Runs `sql` (which uses where() and the placeholders) and hands each row to `each`.
  void run(soci::session& s, const std::string& sql, const std::function<void(const soci::row&)>& each) const;
  // The same until `each` returns false. SQLite computes rows as they are
  // read, so the rows after that cost nothing; PostgreSQL sends them all.
  void run_until(soci::session& s, const std::string& sql, const std::function<bool(const soci::row&)>& each) const;

 private:
  std::string where_;
  std::vector<std::string> texts_;
  std::vector<long long> numbers_;
  std::vector<bool> is_text_;
};

// Text for LIKE taken literally: %, _ and \ escaped (use with ESCAPE '\').
std::string like_literal(const std::string& text);

}  // namespace signet::host
