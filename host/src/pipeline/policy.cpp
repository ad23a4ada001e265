#include "pipeline/policy.hpp"

#include "util/ids.hpp"
#include "util/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <regex>

#include "util/time.hpp"

namespace signet::host {
namespace {

constexpr std::array<int, 3> kRsaSizes{2048, 3072, 4096};

Rejection reject(std::string code, std::string message) { return Rejection{std::move(code), std::move(message)}; }

void lower_in_place(std::string& text) { std::transform(text.begin(), text.end(), text.begin(), ascii_lower); }

std::string lowered(std::string text) {
  lower_in_place(text);
  return text;
}

bool iequals(const std::string& a, const std::string& b) { return lowered(a) == lowered(b); }

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keeps the first occurrence of each value, in order.
void remove_duplicates(std::vector<std::string>& values) {
  std::vector<std::string> unique;
  for (auto& value : values)
    if (std::find(unique.begin(), unique.end(), value) == unique.end()) unique.push_back(std::move(value));
  values = std::move(unique);
}

void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// --- CSR -------------------------------------------------------------------

// The CSR's names join the request's. A common name given on both sides must
// agree: silently preferring one would issue a name the other side did not ask for.
std::optional<Rejection> merge_csr(IssueInput& input) {
  if (!input.csr) return std::nullopt;
  const CsrInfo& csr = *input.csr;
  if (!input.common_name.empty() && !csr.common_name.empty() && !iequals(input.common_name, csr.common_name))
    return reject("csr_mismatch", "common name " + input.common_name + " differs from the CSR's " + csr.common_name);
  if (input.common_name.empty()) input.common_name = csr.common_name;
  append(input.dns, csr.dns);
  append(input.ip, csr.ip);
  append(input.email, csr.email);
  append(input.uri, csr.uri);
  input.key_type = csr.key_type;
  input.key_bits = csr.bits;
  input.key_curve = csr.curve;
  return std::nullopt;
}

// --- validity ----------------------------------------------------------------

std::optional<Rejection> check_ttl(const ProfileConfig& profile, IssueInput& input) {
  if (input.ttl.count() == 0) input.ttl = profile.default_ttl;
  if (input.ttl < profile.min_ttl)
    return reject("ttl_too_short", "ttl " + format_duration(input.ttl) + " is below the minimum " +
                                       format_duration(profile.min_ttl) + " of profile " + profile.name);
  if (input.ttl > profile.max_ttl)
    return reject("ttl_too_long", "ttl " + format_duration(input.ttl) + " is above the maximum " +
                                      format_duration(profile.max_ttl) + " of profile " + profile.name);
  return std::nullopt;
}

// --- DNS names ---------------------------------------------------------------


bool pattern_matches(const std::string& pattern, const std::string& name) {
  try {
    return std::regex_match(name, std::regex(pattern, std::regex::ECMAScript | std::regex::icase));
  } catch (const std::regex_error&) {
    return false;  // the config loader rejects bad patterns; never let one allow a name
  }
}

// A suffix with a leading dot admits names below it; one without admits
// exactly that name.
bool suffix_admits(const std::string& suffix, const std::string& name) {
  const std::string lower = lowered(suffix);
  if (!lower.empty() && lower.front() == '.') return name.size() > lower.size() && ends_with(name, lower);
  return name == lower;
}

bool dns_allowed(const ProfileConfig& profile, const std::string& name) {
  const auto& suffixes = profile.dns_suffixes;
  const auto& patterns = profile.dns_patterns;
  return std::any_of(suffixes.begin(), suffixes.end(), [&](const auto& s) { return suffix_admits(s, name); }) ||
         std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) { return pattern_matches(p, name); });
}

// Only a whole leftmost label may be "*" (RFC 6125 §6.4.3 calls anything else
// deprecated); the rest must be a name of at least two labels, so "*.com"
// fails here before it meets the suffix rules.
std::optional<Rejection> check_wildcard(const ProfileConfig& profile, const std::string& what,
                                        const std::string& name) {
  if (!profile.allow_wildcard)
    return reject("wildcard_not_allowed", what + " " + name + ": profile " + profile.name + " does not allow wildcards");
  const std::string base = name.substr(2);
  if (base.find('*') != std::string::npos)
    return reject("invalid_san", what + " " + name + ": only the leftmost label may be a wildcard");
  if (!valid_dns_name(base) || base.find('.') == std::string::npos)
    return reject("invalid_san", what + " " + name + " is not a valid wildcard DNS name");
  return std::nullopt;
}

std::optional<Rejection> check_dns_syntax(const ProfileConfig& profile, const std::string& what,
                                          const std::string& name) {
  if (name.rfind("*.", 0) == 0) return check_wildcard(profile, what, name);
  if (!valid_dns_name(name)) return reject("invalid_san", what + " " + name + " is not a valid DNS name");
  return std::nullopt;
}

// `what` names the field in messages: "SAN" or "common name".
std::optional<Rejection> check_dns_name(const ProfileConfig& profile, const std::string& what, std::string& name) {
  lower_in_place(name);  // DNS names compare case-insensitively (RFC 4343)
  if (auto rejected = check_dns_syntax(profile, what, name)) return rejected;
  if (!dns_allowed(profile, name))
    return reject("san_not_allowed", what + " " + name + " is outside profile " + profile.name);
  return std::nullopt;
}

// --- IP addresses, email addresses, URIs -------------------------------------

// The canonical text of an IPv4 (strict dotted quad) or IPv6 address:
// RFC 5952 compressed form, so "0:0::1" and "::1" are one name.
std::optional<std::string> canonical_ip(const std::string& text) {
  unsigned char bytes[sizeof(in6_addr)];
  const int family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(family, text.c_str(), bytes) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(family, bytes, out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out);
}

bool is_ip(const std::string& text) { return canonical_ip(text).has_value(); }

std::optional<Rejection> check_ip(const ProfileConfig& profile, const std::string& what, std::string& ip) {
  auto canonical = canonical_ip(ip);
  if (!canonical) return reject("invalid_san", what + " " + ip + " is not an IP address");
  ip = std::move(*canonical);
  if (!profile.allow_ip)
    return reject("san_not_allowed", what + " " + ip + ": profile " + profile.name + " does not allow IP addresses");
  return std::nullopt;
}

// Printable ASCII without spaces: what an IA5String name may sensibly hold.
bool visible_ascii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// addr-spec of RFC 5322 §3.4.1 without quoted local parts. The domain is
// lower-cased; the local part is case-sensitive (RFC 5321 §2.4) and kept.
bool normalise_email(std::string& email) {
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) return false;
  if (!visible_ascii(email)) return false;
  std::string domain = lowered(email.substr(at + 1));
  if (!valid_dns_name(domain)) return false;
  email = email.substr(0, at + 1) + domain;
  return true;
}

std::optional<Rejection> check_email(const ProfileConfig& profile, const std::string& what, std::string& email) {
  if (!normalise_email(email)) return reject("invalid_san", what + " " + email + " is not an email address");
  if (!profile.allow_email)
    return reject("san_not_allowed",
                  what + " " + email + ": profile " + profile.name + " does not allow email addresses");
  return std::nullopt;
}

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
         c == '.';
}

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1),
// followed by something; URIs hold no spaces or controls (RFC 3986 §2).
bool valid_uri(const std::string& uri) {
  const auto colon = uri.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == uri.size()) return false;
  const char first = uri.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), scheme_char) &&
         visible_ascii(uri);
}

std::optional<Rejection> check_uri(const ProfileConfig& profile, std::string& uri) {
  if (!valid_uri(uri)) return reject("invalid_san", "SAN " + uri + " is not a URI");
  if (!profile.allow_uri)
    return reject("san_not_allowed", "SAN " + uri + ": profile " + profile.name + " does not allow URIs");
  return std::nullopt;
}

// --- names -------------------------------------------------------------------

bool has_sans(const IssueInput& input) {
  return !input.dns.empty() || !input.ip.empty() || !input.email.empty() || !input.uri.empty();
}

// A common name is checked as what it looks like: an IP address, an email
// address (legacy subjects), otherwise a DNS name.
std::optional<Rejection> check_common_name(const ProfileConfig& profile, IssueInput& input) {
  std::string& cn = input.common_name;
  if (cn.empty()) {
    if (profile.require_common_name && !has_sans(input))
      return reject("common_name_required", "profile " + profile.name + " requires a common name");
    return std::nullopt;
  }
  if (is_ip(cn)) return check_ip(profile, "common name", cn);
  if (cn.find('@') != std::string::npos) return check_email(profile, "common name", cn);
  return check_dns_name(profile, "common name", cn);
}

template <class Check>
std::optional<Rejection> check_each(std::vector<std::string>& values, Check check) {
  for (auto& value : values)
    if (auto rejected = check(value)) return rejected;
  remove_duplicates(values);  // after normalising, so "A.example" and "a.example" are one
  return std::nullopt;
}

std::optional<Rejection> check_sans(const ProfileConfig& profile, IssueInput& input) {
  if (auto r = check_each(input.dns, [&](std::string& v) { return check_dns_name(profile, "SAN", v); })) return r;
  if (auto r = check_each(input.ip, [&](std::string& v) { return check_ip(profile, "SAN", v); })) return r;
  if (auto r = check_each(input.email, [&](std::string& v) { return check_email(profile, "SAN", v); })) return r;
  return check_each(input.uri, [&](std::string& v) { return check_uri(profile, v); });
}

// --- keys --------------------------------------------------------------------

const std::vector<std::string>& default_curves() {
  static const std::vector<std::string> curves{"P-256", "P-384"};
  return curves;
}

// What an empty key_types list stands for.
const std::vector<KeyTypeRule>& default_key_rules() {
  static const std::vector<KeyTypeRule> rules{
      {"ecdsa", 2048, 4096, default_curves()}, {"rsa", 2048, 4096, {}}, {"ed25519", 2048, 4096, {}}};
  return rules;
}

const std::vector<KeyTypeRule>& key_rules(const ProfileConfig& profile) {
  return profile.key_types.empty() ? default_key_rules() : profile.key_types;
}

const std::vector<std::string>& rule_curves(const KeyTypeRule& rule) {
  return rule.curves.empty() ? default_curves() : rule.curves;
}

bool rsa_size_allowed(const KeyTypeRule& rule, int bits) {
  const bool standard = std::find(kRsaSizes.begin(), kRsaSizes.end(), bits) != kRsaSizes.end();
  return standard && bits >= rule.min_bits && bits <= rule.max_bits;
}

bool rule_admits(const KeyTypeRule& rule, const IssueInput& key) {
  if (!iequals(rule.type, key.key_type)) return false;
  if (key.key_type == "rsa") return rsa_size_allowed(rule, key.key_bits);
  if (key.key_type == "ecdsa") {
    const auto& curves = rule_curves(rule);
    return std::any_of(curves.begin(), curves.end(), [&](const auto& c) { return iequals(c, key.key_curve); });
  }
  return key.key_type == "ed25519";
}

int smallest_rsa_size(const KeyTypeRule& rule) {
  for (int bits : kRsaSizes)
    if (rsa_size_allowed(rule, bits)) return bits;
  return 0;  // no standard size fits: the key check reports it
}

// Server-side keys: unspecified fields come from the first rule of the
// requested type (or the first rule at all), smallest adequate size first.
void fill_key_defaults(const std::vector<KeyTypeRule>& rules, IssueInput& input) {
  if (input.key_type.empty()) input.key_type = lowered(rules.front().type);
  auto rule = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return iequals(r.type, input.key_type); });
  if (rule == rules.end()) return;
  if (input.key_type == "rsa" && input.key_bits == 0) input.key_bits = smallest_rsa_size(*rule);
  if (input.key_type == "ecdsa" && input.key_curve.empty()) input.key_curve = rule_curves(*rule).front();
}

std::string describe_key(const IssueInput& input) {
  if (input.key_type == "rsa") return "rsa " + std::to_string(input.key_bits) + " bits";
  if (input.key_type == "ecdsa") return "ecdsa " + input.key_curve;
  return input.key_type.empty() ? std::string("(none)") : input.key_type;
}

std::optional<Rejection> check_key(const ProfileConfig& profile, IssueInput& input) {
  const auto& rules = key_rules(profile);
  lower_in_place(input.key_type);
  if (!input.csr) fill_key_defaults(rules, input);
  if (std::any_of(rules.begin(), rules.end(), [&](const auto& rule) { return rule_admits(rule, input); }))
    return std::nullopt;
  return reject("key_not_allowed", "key " + describe_key(input) + " is not allowed by profile " + profile.name);
}

}  // namespace

std::optional<Rejection> check_policy(const ProfileConfig& profile, IssueInput& input) {
  if (auto rejected = merge_csr(input)) return rejected;
  if (auto rejected = check_ttl(profile, input)) return rejected;
  if (auto rejected = check_common_name(profile, input)) return rejected;
  if (auto rejected = check_sans(profile, input)) return rejected;
  return check_key(profile, input);
}

const std::string& policy_epoch() {
  static const std::string epoch = new_id("epoch");
  return epoch;
}

}  // namespace signet::host
