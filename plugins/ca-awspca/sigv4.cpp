#include "sigv4.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace signet::awspca {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string uri_encode(std::string_view text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

namespace {

// RFC 3986 §5.2.4 dot segments removed and empty segments dropped, as every
// service but S3 wants; a trailing slash stays.
std::string canonical_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& segment : segments) out += "/" + uri_encode(segment);
  const bool trailing = path.size() > 1 && path.back() == '/' && !segments.empty();
  return out.empty() ? "/" : out + (trailing ? "/" : "");
}

std::string canonical_query(const std::string& query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t equals = pair.find('=');
      pairs.emplace_back(uri_encode(pair.substr(0, equals)),
                         equals == std::string::npos ? "" : uri_encode(pair.substr(equals + 1)));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

// A header value as SigV4 wants it: trimmed, inner runs of blanks (and the
// folds of a multi-line value) one space; a fold that starts a line joins
// with a comma, as the suite's get-header-value-multiline does.
std::string canonical_value(const std::string& value) {
  std::string out;
  bool blank = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += ',';
      blank = false;
      while (i + 1 < value.size() && (value[i + 1] == ' ' || value[i + 1] == '\t')) ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      blank = !out.empty();
      continue;
    }
    if (blank && out.back() != ',') out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr);
  return hex(out, size);
}

std::vector<std::string> header_names(const HttpMessage& message) {
  std::vector<std::string> names;
  for (const auto& [name, value] : message.headers) names.push_back(lower(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string canonical_request(const HttpMessage& message, const std::vector<std::string>& signed_headers) {
  std::map<std::string, std::string> values;  // repeated headers joined by ',' in the order sent
  for (const auto& [name, value] : message.headers) {
    const std::string key = lower(name);
    if (std::find(signed_headers.begin(), signed_headers.end(), key) == signed_headers.end()) continue;
    auto& joined = values[key];
    joined += (joined.empty() ? "" : ",") + canonical_value(value);
  }
  std::string headers, names;
  for (const auto& [name, value] : values) {
    headers += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  return message.method + "\n" + canonical_path(message.path) + "\n" + canonical_query(message.query) + "\n" + headers +
         "\n" + names + "\n" + sha256_hex(message.body);
}

std::string string_to_sign(const std::string& canonical, const SigningScope& scope) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.credential_scope() + "\n" + sha256_hex(canonical);
}

std::string signature(const std::string& secret_access_key, const SigningScope& scope, const std::string& to_sign) {
  const std::string date_key = hmac("AWS4" + secret_access_key, scope.date());
  const std::string region_key = hmac(date_key, scope.region);
  const std::string service_key = hmac(region_key, scope.service);
  const std::string signing_key = hmac(service_key, "aws4_request");
  const std::string mac = hmac(signing_key, to_sign);
  return hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

void sign(HttpMessage& message, const AwsCredentials& credentials, const SigningScope& scope) {
  message.headers.emplace_back("X-Amz-Date", scope.amz_date);
  if (!credentials.session_token.empty()) message.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  const auto names = header_names(message);
  const std::string to_sign = string_to_sign(canonical_request(message, names), scope);
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ";") + name;
  message.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                                                    scope.credential_scope() + ", SignedHeaders=" + list +
                                                    ", Signature=" + signature(credentials.secret_access_key, scope, to_sign));
}

std::string amz_date(long long unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[20];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

}  // namespace signet::awspca
