#include "config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <set>

#include <fsutil/files.hpp>

namespace signet::email {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTemplateBytes = 1024 * 1024;
constexpr std::chrono::seconds kLongestConnect{10};

std::string without_brackets(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string lower_case(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

bool ipv6_literal(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// A DNS name (letters, digits, '.', '-') or an IP address; nothing that
// could change the meaning of the URL curl is given (no '/', '@', ':'
// outside an IPv6 address, no spaces).
bool valid_host(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  if (ipv6_literal(host)) return true;
  if (host.front() == '-' || host.front() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

TlsMode tls_mode(const std::string& name) {
  if (name == "implicit") return TlsMode::implicit;
  if (name == "none") return TlsMode::none;
  return TlsMode::starttls;
}

int default_port(TlsMode mode) {
  switch (mode) {
    case TlsMode::implicit: return 465;
    case TlsMode::none: return 25;
    case TlsMode::starttls: return 587;
  }
  return 587;
}

class Problems {
 public:
  void add(std::string pointer, std::string message) { error_.problems.push_back({std::move(pointer), std::move(message)}); }
  bool any() const { return !error_.problems.empty(); }
  Error error() const { return error_; }

 private:
  Error error_ = make_error(ErrorCode::invalid_config, "invalid notify-email configuration");
};

// A template body given inline (`text`) or as a file (`text_file`), read now.
std::optional<std::string> template_body(const json& spec, const std::string& key, const std::string& pointer,
                                         Problems& problems) {
  const std::string file_key = key + "_file";
  const bool has_inline = spec.contains(key), has_file = spec.contains(file_key);
  if (has_inline && has_file) {
    problems.add(pointer + "/" + file_key, "give " + key + " or " + file_key + ", not both");
    return std::nullopt;
  }
  if (has_inline) return spec.at(key).get<std::string>();
  if (!has_file) return std::nullopt;
  const std::string path = spec.at(file_key).get<std::string>();
  auto content = fsutil::read_file(path);
  if (!content) {
    problems.add(pointer + "/" + file_key, content.error().code == ErrorCode::not_found
                                               ? path + ": no such file"
                                               : "cannot read the template: " + content.error().message);
    return std::nullopt;
  }
  if (content->size() > kMaxTemplateBytes) {
    problems.add(pointer + "/" + file_key, path + ": a template may hold at most 1 MiB");
    return std::nullopt;
  }
  return std::move(content).value();
}

void read_smtp(const json& smtp, SmtpSettings& out, Problems& problems) {
  out.host = without_brackets(smtp.value("host", std::string()));
  if (!valid_host(out.host))
    problems.add("/smtp/host", "not a host name or IP address (give the name alone: no scheme, port or path)");
  out.tls = tls_mode(smtp.value("tls", std::string("starttls")));
  out.port = smtp.value("port", default_port(out.tls));
  if (out.tls == TlsMode::none && !loopback_host(out.host))
    problems.add("/smtp/tls",
                 "tls: none would send every message, and the password, unencrypted across the network; it is "
                 "accepted only for a server on this machine (localhost, 127.0.0.0/8, ::1). Use starttls or implicit");
  out.username = smtp.value("username", std::string());
  out.password = smtp.value("password", std::string());
  if (out.username.empty() != out.password.empty())
    problems.add(out.username.empty() ? "/smtp/username" : "/smtp/password",
                 "username and password go together: both for SMTP AUTH, or neither");
  out.ca_file = smtp.value("ca_file", std::string());
  if (!out.ca_file.empty()) {
    // Read once here so a wrong path is a config error now, not a TLS
    // failure retried for days; curl reads it again on every connection.
    auto pem = fsutil::read_file(out.ca_file);
    if (!pem)
      problems.add("/smtp/ca_file", pem.error().code == ErrorCode::not_found ? out.ca_file + ": no such file"
                                                                             : pem.error().message);
    else if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      problems.add("/smtp/ca_file", out.ca_file + " holds no PEM certificate");
  }
  out.timeout = std::chrono::seconds(smtp.value("timeout_seconds", 30));
  out.connect_timeout = std::min<std::chrono::milliseconds>(out.timeout, kLongestConnect);
}

}  // namespace

bool loopback_host(const std::string& host_text) {
  const std::string host = without_brackets(host_text);
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  return false;
}

Result<EmailConfig> read_config(const json& c) {
  EmailConfig out;
  Problems problems;
  read_smtp(c.value("smtp", json::object()), out.smtp, problems);

  if (auto from = parse_mailbox(c.value("from", std::string())))
    out.from = std::move(*from);
  else
    problems.add("/from", "not a mailbox: give \"Name <address>\" or an address (one '@', no spaces)");

  std::set<std::string> seen;  // addresses compare without regard to case
  const json to = c.value("to", json::array());
  for (std::size_t i = 0; i < to.size(); ++i) {
    const std::string address = trimmed(to[i].get<std::string>());
    if (!valid_address(address))
      problems.add("/to/" + std::to_string(i), "not an e-mail address (one '@', printable ASCII, no spaces or <>,;:\"()[]\\)");
    else if (seen.insert(lower_case(address)).second)
      out.to.push_back(address);
  }
  for (const auto& key : c.value("recipients_from", json::array())) out.recipients_from.push_back(key.get<std::string>());
  if (to.empty() && out.recipients_from.empty())
    problems.add("", "give to, recipients_from or both: without them no event has a recipient");

  for (const auto& type : c.value("events", json::array())) out.events.push_back(type.get<std::string>());
  out.per_minute = c.value("per_minute", 60);
  if (out.per_minute < 1) problems.add("/per_minute", "must be at least 1");

  if (const auto templates = c.find("templates"); templates != c.end() && templates->is_object()) {
    for (const auto& item : templates->items()) {
      const std::string pointer = "/templates/" + item.key();
      const json& spec = item.value();
      TemplateOverride override_;
      if (spec.contains("subject")) override_.subject = spec.at("subject").get<std::string>();
      override_.text = template_body(spec, "text", pointer, problems);
      override_.html = template_body(spec, "html", pointer, problems);
      out.templates.insert_or_assign(item.key(), std::move(override_));
    }
  }

  if (problems.any()) return problems.error();
  return out;
}

}  // namespace signet::email
