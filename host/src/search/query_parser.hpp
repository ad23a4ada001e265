// Natural-language search over the inventory, without an external model
// (issue 26): "expiring in 7 days in tenant acme issued by aws", "revoked
// last week", "rsa 2048 *.example.com", "not renewed owner:payments"
// become the filters the dashboard's chips and the listings use, and the
// parser says what it understood, so each piece can be shown and removed.
// Names (tenants, CAs, profiles, services) are matched against the ones
// the database knows, forgiving case and a typo; what nothing claims is
// CN/SAN text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/time.hpp"

namespace signet::host::search {

// The names a query may refer to, as the database holds them.
struct Vocabulary {
  std::vector<std::string> tenants, cas, profiles, services;
};

struct TimeRange {
  std::optional<TimePoint> since, until;  // [since, until)
};

struct ParsedQuery {
  std::string status;  // active, revoked, expired, superseded
  std::optional<int> expiring_within_days;
  TimeRange revoked, issued;
  std::string tenant, ca, profile, service;
  std::string key_type;  // rsa, ecdsa, ed25519
  int key_bits = 0;
  std::string curve;     // P-256, P-384
  std::string serial;    // lower-case hex, no separators
  std::string ip;
  std::string name_pattern;  // "*.example.com"
  std::string renewal;       // renewed, not_renewed
  std::vector<std::string> text;  // what nothing else claimed: CN/SAN substrings
  std::vector<std::pair<std::string, std::string>> fields;  // field:value this parser does not know, passed through
};

ParsedQuery parse_query(std::string_view query, const Vocabulary& vocabulary, TimePoint now);

// What was understood, one chip per filter: [{"field", "value", "label"}].
nlohmann::json chips_of(const ParsedQuery& parsed);

}  // namespace signet::host::search
