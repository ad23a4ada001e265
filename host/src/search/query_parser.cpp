#include "search/query_parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace signet::host::search {
namespace {

using Tokens = std::vector<std::string>;
constexpr std::chrono::hours kDay{24};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Words split on spaces and commas; "quoted text" stays one word.
Tokens tokens_of(std::string_view query) {
  Tokens out;
  std::string word;
  bool quoted = false;
  for (const char c : query) {
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && (std::isspace(static_cast<unsigned char>(c)) || c == ',')) {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

std::optional<int> number_of(std::string_view text) {
  int value = 0;
  const auto end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end || value < 0) return std::nullopt;
  return value;
}

// Edit distance (Levenshtein), for names typed with a slip.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The name in `names` that `word` means: the same but for case, a prefix of
// three letters or more, or one or two typos (for longer names).
std::optional<std::string> fuzzy(const std::string& word, const std::vector<std::string>& names) {
  const std::string w = lower(word);
  std::optional<std::string> best;
  std::size_t best_score = 3;
  for (const auto& name : names) {
    const std::string n = lower(name);
    std::size_t score = 3;
    if (n == w) score = 0;
    else if (w.size() >= 3 && n.rfind(w, 0) == 0) score = 1;
    else if (const auto d = distance(w, n); d <= (w.size() > 5 ? 2u : 1u) && w.size() >= 3) score = d + (d > 0 ? 1 : 0);
    if (score < best_score) {
      best_score = score;
      best = name;
    }
  }
  return best;
}

// "7 days", "7d", "2 weeks", "a month", "one week": a number of days and the words used.
std::optional<std::pair<int, std::size_t>> duration_at(const Tokens& t, std::size_t i) {
  auto unit_days = [](std::string unit) -> std::optional<int> {
    unit = lower(unit);
    if (unit == "d" || unit == "day" || unit == "days") return 1;
    if (unit == "w" || unit == "wk" || unit == "week" || unit == "weeks") return 7;
    if (unit == "m" || unit == "mo" || unit == "month" || unit == "months") return 30;
    if (unit == "y" || unit == "year" || unit == "years") return 365;
    return std::nullopt;
  };
  if (i >= t.size()) return std::nullopt;
  const std::string word = lower(t[i]);
  std::optional<int> count = number_of(word);
  if (word == "a" || word == "an" || word == "one") count = 1;
  if (count && i + 1 < t.size())
    if (const auto days = unit_days(t[i + 1])) return std::pair{*count * *days, std::size_t{2}};
  // "7d", "2w": number and unit in one word.
  const auto digits = word.find_first_not_of("0123456789");
  if (digits != std::string::npos && digits > 0)
    if (const auto n = number_of(word.substr(0, digits)); n)
      if (const auto days = unit_days(word.substr(digits))) return std::pair{*n * *days, std::size_t{1}};
  if (const auto days = unit_days(word); days && word != "m" && word != "d") return std::pair{*days, std::size_t{1}};  // "week"
  return std::nullopt;
}

TimePoint start_of_day(TimePoint now) {
  const auto since_epoch = now.time_since_epoch();
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::floor<std::chrono::days>(since_epoch)));
}

// "today", "yesterday", "last week", "in the last 3 days", "past month",
// "this week", "since 2026-11-01": a time range and the words used.
std::optional<std::pair<TimeRange, std::size_t>> range_at(const Tokens& t, std::size_t i, TimePoint now) {
  if (i >= t.size()) return std::nullopt;
  std::size_t j = i;
  auto word = [&](std::size_t k) { return k < t.size() ? lower(t[k]) : std::string(); };
  if (word(j) == "in" || word(j) == "during" || word(j) == "within") ++j;
  if (word(j) == "the") ++j;
  const std::string w = word(j);
  if (w == "today") return std::pair{TimeRange{start_of_day(now), std::nullopt}, j - i + 1};
  if (w == "yesterday") return std::pair{TimeRange{start_of_day(now) - kDay, start_of_day(now)}, j - i + 1};
  if (w == "last" || w == "past" || w == "this") {
    if (const auto d = duration_at(t, j + 1)) return std::pair{TimeRange{now - d->first * kDay, std::nullopt}, j - i + 1 + d->second};
  }
  if (w == "since" || w == "after" || w == "before") {
    const auto date = parse_rfc3339(word(j + 1).find('T') == std::string::npos ? word(j + 1) + "T00:00:00Z" : t[j + 1]);
    if (date) return std::pair{w == "before" ? TimeRange{std::nullopt, *date} : TimeRange{*date, std::nullopt}, j - i + 2};
  }
  return std::nullopt;
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// A serial: 16 or more hex digits, or hex octets joined by ':' ("3a:4f:…").
std::optional<std::string> serial_of(const std::string& word) {
  std::string hex;
  if (word.find(':') != std::string::npos) {
    std::size_t start = 0, octets = 0;
    while (start <= word.size()) {
      const auto end = std::min(word.find(':', start), word.size());
      const std::string octet = word.substr(start, end - start);
      if (octet.size() != 2 || !is_hex(octet)) return std::nullopt;
      hex += octet;
      ++octets;
      start = end + 1;
    }
    if (octets < 4) return std::nullopt;
  } else if (word.size() >= 16 && is_hex(word) && word.find_first_not_of("0123456789") != std::string::npos) {
    hex = word;
  } else {
    return std::nullopt;
  }
  return lower(hex);
}

bool is_ip(const std::string& word) {
  int dots = 0;
  for (char c : word) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return word.find("::") != std::string::npos && word.find_first_not_of("0123456789abcdefABCDEF:") == std::string::npos;
  }
  return dots == 3;
}

const std::set<std::string>& stop_words() {
  static const std::set<std::string> words = {"certificates", "certificate", "certs", "cert", "show", "me", "all", "the",
                                              "that", "are", "is", "which", "with", "and", "of", "list", "find", "please",
                                              "a", "an", "whose", "were", "was", "have", "has", "key", "keys", "on"};
  return words;
}

const std::map<std::string, std::string>& status_words() {
  static const std::map<std::string, std::string> words = {
      {"active", "active"},   {"valid", "active"},       {"live", "active"},     {"current", "active"},
      {"revoked", "revoked"}, {"revocated", "revoked"},  {"expired", "expired"}, {"lapsed", "expired"},
      {"superseded", "superseded"}, {"replaced", "superseded"}};
  return words;
}

class Parser {
 public:
  Parser(const Vocabulary& v, TimePoint now) : v_(v), now_(now) {}

  ParsedQuery run(const Tokens& t) {
    for (std::size_t i = 0; i < t.size();) i += step(t, i);
    return q_;
  }

 private:
  std::string word(const Tokens& t, std::size_t i) const { return i < t.size() ? lower(t[i]) : std::string(); }

  // Reads what starts at t[i]; returns how many words it took (at least one).
  std::size_t step(const Tokens& t, std::size_t i) {
    const std::string w = word(t, i);
    if (const auto n = field_value(t[i])) return n;
    if (const auto n = expiring(t, i)) return n;
    if (const auto n = dated_event(t, i)) return n;
    if (const auto n = renewal(t, i)) return n;
    if (const auto n = named(t, i)) return n;
    if (const auto n = key(t, i)) return n;
    if (const auto found = status_words().find(w); found != status_words().end()) {
      q_.status = found->second;
      return 1;
    }
    if (const auto serial = serial_of(w)) return q_.serial = *serial, 1;
    if (is_ip(w)) return q_.ip = w, 1;
    if (w.rfind("*.", 0) == 0 && w.size() > 2) return q_.name_pattern = w, 1;
    if (stop_words().count(w) || w == "in" || w == "for" || w == "by") return 1;
    if (bare_name(t[i])) return 1;
    q_.text.push_back(t[i]);
    return 1;
  }

  // field:value, for the fields the chips use; others pass through.
  std::size_t field_value(const std::string& token) {
    const auto colon = token.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == token.size() || serial_of(lower(token)) ||
        token.find("::") != std::string::npos)
      return 0;
    const std::string field = lower(token.substr(0, colon)), value = token.substr(colon + 1);
    if (field == "status" || field == "state") q_.status = status_words().count(lower(value)) ? status_words().at(lower(value)) : lower(value);
    else if (field == "tenant") q_.tenant = fuzzy(value, v_.tenants).value_or(value);
    else if (field == "ca" || field == "issuer") q_.ca = fuzzy(value, v_.cas).value_or(value);
    else if (field == "profile") q_.profile = fuzzy(value, v_.profiles).value_or(value);
    else if (field == "owner" || field == "service" || field == "app") q_.service = fuzzy(value, v_.services).value_or(value);
    else if (field == "serial") q_.serial = serial_of(lower(value)).value_or(lower(value));
    else if (field == "ip") q_.ip = value;
    else if (field == "cn" || field == "san" || field == "name") q_.text.push_back(value);
    else q_.fields.emplace_back(field, value);
    return 1;
  }

  // "expiring in 7 days", "expires within 2 weeks", "expiring soon", "expiring this month".
  std::size_t expiring(const Tokens& t, std::size_t i) {
    const std::string w = word(t, i);
    if (w != "expiring" && w != "expires" && w != "expire" && w != "due") return 0;
    std::size_t j = i + 1;
    const std::string next = word(t, j);
    if (next == "soon") return q_.expiring_within_days = 30, 2;
    if (next == "in" || next == "within" || next == "before" || next == "next" || next == "this") ++j;
    if (word(t, j) == "the" || word(t, j) == "next") ++j;
    if (const auto d = duration_at(t, j)) return q_.expiring_within_days = d->first, j - i + d->second;
    q_.expiring_within_days = 30;  // "expiring" alone: the usual warning horizon
    return j - i;
  }

  // "revoked last week", "issued yesterday", "revoked since 2026-11-01".
  std::size_t dated_event(const Tokens& t, std::size_t i) {
    const std::string w = word(t, i);
    if (w != "revoked" && w != "issued") return 0;
    const auto range = range_at(t, i + 1, now_);
    if (!range) return 0;
    if (w == "revoked") {
      q_.status = "revoked";
      q_.revoked = range->first;
    } else {
      q_.issued = range->first;
    }
    return 1 + range->second;
  }

  std::size_t renewal(const Tokens& t, std::size_t i) {
    const std::string w = word(t, i);
    if ((w == "not" || w == "never") && (word(t, i + 1) == "renewed" || word(t, i + 1) == "replaced")) return q_.renewal = "not_renewed", 2;
    if (w == "unrenewed") return q_.renewal = "not_renewed", 1;
    if (w == "without" && word(t, i + 1) == "renewal") return q_.renewal = "not_renewed", 2;
    if (w == "renewed") return q_.renewal = "renewed", 1;
    return 0;
  }

  // "in tenant acme", "issued by aws", "from aws", "profile web", "owned by payments", "owner payments".
  std::size_t named(const Tokens& t, std::size_t i) {
    std::size_t j = i;
    const std::string w = word(t, j);
    auto take = [&](std::string& into, const std::vector<std::string>& names, std::size_t at) -> std::size_t {
      if (at >= t.size()) return 0;
      into = fuzzy(t[at], names).value_or(t[at]);
      return at - i + 1;
    };
    if ((w == "in" || w == "for") && word(t, j + 1) == "tenant") return take(q_.tenant, v_.tenants, j + 2);
    if (w == "tenant") return take(q_.tenant, v_.tenants, j + 1);
    if (w == "issued" && word(t, j + 1) == "by") return take(q_.ca, v_.cas, j + 2);
    if ((w == "from" || w == "by" || w == "ca" || w == "issuer") && j + 1 < t.size() &&
        (w == "ca" || w == "issuer" || fuzzy(t[j + 1], v_.cas)))
      return take(q_.ca, v_.cas, j + 1);
    if (w == "profile") return take(q_.profile, v_.profiles, j + 1);
    if (w == "owned" && word(t, j + 1) == "by") return take(q_.service, v_.services, j + 2);
    if (w == "owner" || w == "service" || w == "app") return take(q_.service, v_.services, j + 1);
    // "in acme", "for payments": only when the name is one the database knows.
    if ((w == "in" || w == "for") && j + 1 < t.size()) {
      if (const auto tenant = fuzzy(t[j + 1], v_.tenants)) return q_.tenant = *tenant, 2;
      if (const auto service = fuzzy(t[j + 1], v_.services)) return q_.service = *service, 2;
    }
    return 0;
  }

  // "rsa 2048", "rsa-4096", "rsa2048", "ec p-256", "ecdsa", "p384", "ed25519".
  std::size_t key(const Tokens& t, std::size_t i) {
    std::string w = word(t, i);
    for (char& c : w)
      if (c == '-' || c == '_') c = ' ';
    const auto curve = [](const std::string& x) -> std::string {
      if (x == "p 256" || x == "p256" || x == "prime256v1" || x == "secp256r1") return "P-256";
      if (x == "p 384" || x == "p384" || x == "secp384r1") return "P-384";
      return {};
    };
    if (w.rfind("rsa", 0) == 0) {
      q_.key_type = "rsa";
      const std::string rest = w.substr(3);
      const std::string bits = rest.empty() || rest == " " ? word(t, i + 1) : rest.substr(rest.front() == ' ' ? 1 : 0);
      if (const auto n = number_of(bits); n && (*n == 2048 || *n == 3072 || *n == 4096)) {
        q_.key_bits = *n;
        return rest.empty() ? 2 : 1;
      }
      return rest.empty() ? 1 : 0;
    }
    if (w == "ec" || w == "ecdsa" || w == "ecc") {
      q_.key_type = "ecdsa";
      if (const auto c = curve(word(t, i + 1)); !c.empty()) return q_.curve = c, 2;
      return 1;
    }
    if (const auto c = curve(w); !c.empty()) return q_.key_type = "ecdsa", q_.curve = c, 1;
    if (w == "ed25519") return q_.key_type = "ed25519", 1;
    return 0;
  }

  // A word that is exactly a name the database knows: its kind is clear.
  bool bare_name(const std::string& token) {
    const std::string w = lower(token);
    auto exact = [&](const std::vector<std::string>& names) -> std::optional<std::string> {
      for (const auto& n : names)
        if (lower(n) == w) return n;
      return std::nullopt;
    };
    if (const auto n = exact(v_.tenants)) return q_.tenant = *n, true;
    if (const auto n = exact(v_.cas)) return q_.ca = *n, true;
    if (const auto n = exact(v_.profiles)) return q_.profile = *n, true;
    if (const auto n = exact(v_.services)) return q_.service = *n, true;
    return false;
  }

  const Vocabulary& v_;
  TimePoint now_;
  ParsedQuery q_;
};

void add_range(nlohmann::json& chips, const char* field, const TimeRange& range) {
  if (range.since) chips.push_back({{"field", std::string(field) + "_since"}, {"value", to_rfc3339(*range.since)}});
  if (range.until) chips.push_back({{"field", std::string(field) + "_until"}, {"value", to_rfc3339(*range.until)}});
}

}  // namespace

ParsedQuery parse_query(std::string_view query, const Vocabulary& vocabulary, TimePoint now) {
  return Parser(vocabulary, now).run(tokens_of(query));
}

nlohmann::json chips_of(const ParsedQuery& q) {
  nlohmann::json chips = nlohmann::json::array();
  auto add = [&](const char* field, const std::string& value) {
    if (!value.empty()) chips.push_back({{"field", field}, {"value", value}});
  };
  add("status", q.status);
  if (q.expiring_within_days) chips.push_back({{"field", "expiring_within_days"}, {"value", *q.expiring_within_days}});
  add_range(chips, "revoked", q.revoked);
  add_range(chips, "issued", q.issued);
  add("tenant", q.tenant);
  add("ca", q.ca);
  add("profile", q.profile);
  add("service", q.service);
  add("key_type", q.key_type);
  if (q.key_bits) chips.push_back({{"field", "key_bits"}, {"value", q.key_bits}});
  add("curve", q.curve);
  add("serial", q.serial);
  add("ip", q.ip);
  add("name_pattern", q.name_pattern);
  add("renewal", q.renewal);
  for (const auto& text : q.text) add("text", text);
  for (const auto& [field, value] : q.fields) chips.push_back({{"field", field}, {"value", value}});
  return chips;
}

}  // namespace signet::host::search
