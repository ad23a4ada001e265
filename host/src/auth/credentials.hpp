// What a caller presents, as plain values: whichever front received the
// call (HTTPS today) reads them off its request, and authentication never
// sees the request itself.
#pragma once

#include <optional>
#include <string>

namespace signet::host {

// The certificate a TLS client presented, and OpenSSL's verdict on its
// chain (X509_V_OK or the first error).
struct PeerCertificate {
  std::string der;
  long verify_result = 0;
};

struct Credentials {
  std::optional<std::string> bearer_token;  // RFC 6750 §2.1: the token of "Authorization: Bearer <token>"
  const PeerCertificate* peer = nullptr;    // the connection's client certificate, if any
  std::optional<std::string> session;       // the dashboard's session cookie (auth/sessions.hpp)
  std::optional<std::string> csrf;          // X-CSRF-Token, which a session's state-changing calls must carry
  bool changes_state = false;               // not GET, HEAD or OPTIONS
  bool foreign_origin = false;              // an Origin header naming another origin than the Host
  std::string source;                       // the caller's address: tokens may be bound to networks
  std::string request_id;                   // for the log
};

}  // namespace signet::host
