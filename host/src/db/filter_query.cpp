#include "db/filter_query.hpp"

namespace signet::host {

std::string FilterQuery::bind(const std::string& value) {
  texts_.push_back(value);
  is_text_.push_back(true);
  return ":p" + std::to_string(is_text_.size() - 1);
}

std::string FilterQuery::bind(long long value) {
  numbers_.push_back(value);
  is_text_.push_back(false);
  return ":p" + std::to_string(is_text_.size() - 1);
}

std::string FilterQuery::bind_list(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "(" : ", ") + bind(v);
  return list.empty() ? "(NULL)" : list + ")";
}

void FilterQuery::run(soci::session& s, const std::string& sql, const std::function<void(const soci::row&)>& each) const {
  run_until(s, sql, [&](const soci::row& row) {
    each(row);
    return true;
  });
}

void FilterQuery::run_until(soci::session& s, const std::string& sql, const std::function<bool(const soci::row&)>& each) const {
  // soci binds by reference: copies that live as long as the statement.
  std::vector<std::string> texts = texts_;
  std::vector<long long> numbers = numbers_;
  soci::statement st(s);
  st.alloc();
  st.prepare(sql);
  std::size_t ti = 0, ni = 0;
  for (std::size_t i = 0; i < is_text_.size(); ++i) {
    const std::string name = "p" + std::to_string(i);
    if (is_text_[i]) st.exchange(soci::use(texts[ti++], name));
    else st.exchange(soci::use(numbers[ni++], name));
  }
  soci::row row;
  st.exchange(soci::into(row));
  st.define_and_bind();
  st.execute(false);
  while (st.fetch())
    if (!each(row)) return;
}

std::string like_literal(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace signet::host
