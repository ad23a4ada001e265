// notify-email: the instance configuration (docs/plugins/notify-email.md).
#pragma once

#include <string>
#include <vector>

#include <signet/sdk.hpp>

#include "message.hpp"
#include "smtp.hpp"
#include "templates.hpp"

namespace signet::email {

struct EmailConfig {
  SmtpSettings smtp;
  Mailbox from;                             // From header; from.address is MAIL FROM
  std::vector<std::string> to;              // fixed recipients, valid addresses
  std::vector<std::string> recipients_from;  // keys of event.data.metadata holding an address
  std::vector<std::string> events;          // types sent; empty: all
  int per_minute = 60;                      // messages per instance per sliding minute
  TemplateOverrides templates;              // by event type, files already read
};

// Reads and checks the instance's config (the schema has checked shapes);
// every problem is one ConfigProblem with a JSON pointer into the config.
// Template files are read here, once.
Result<EmailConfig> read_config(const nlohmann::json& config);

// The host exactly: "localhost", an IPv4 address in 127.0.0.0/8, or the
// IPv6 loopback (::1 in any spelling, with or without brackets).
bool loopback_host(const std::string& host);

}  // namespace signet::email
