// People's sessions on the dashboard (docs/dashboard.md "Sign-in"). A
// session carries the principal it was opened for (from a token, or from
// the company's identity provider) and lives in an HttpOnly, Secure,
// SameSite=Strict cookie whose secret only the browser holds; the database
// keeps its SHA-256. It ends after `idle_timeout` without a request, after
// `absolute_timeout` whatever happens, when the person signs out, and when
// the token it was opened with is revoked.
#pragma once

#include <string>
#include <variant>

#include "auth/principal.hpp"
#include "auth/token_cache.hpp"
#include "config/ui_section.hpp"
#include "db/database.hpp"
#include "util/host_error.hpp"
#include "util/time.hpp"

namespace signet::host {

inline constexpr const char* kSessionCookie = "signet_session";

class Sessions {
 public:
  // A session ended or timed out elsewhere stops working within a second.
  Sessions(Database& db, const UiConfig& ui) : db_(db), ui_(ui), cache_(std::chrono::seconds(1)) {}

  struct Opened {
    std::string cookie;  // the secret: the Set-Cookie value, never stored
    std::string csrf;    // what state-changing calls send in X-CSRF-Token
    TimePoint expires_at{};
  };
  // `source`: the token's id, or "oidc:<issuer>#<sub>". `not_after`: the
  // credential's own end (a token's expiry), when it has one.
  Result<Opened> open(const Principal& principal, const std::string& source, TimePoint now,
                      std::optional<TimePoint> not_after = std::nullopt);

  // The principal of a live session, or "unauthenticated" naming why not.
  std::variant<Principal, HostError> resume(const std::string& cookie, TimePoint now);
  Result<void> close(const std::string& cookie, TimePoint now);

  // The CSRF token of a session: derived from its secret, so it needs no
  // storage and changes with every session.
  static std::string csrf_of(const std::string& cookie);

 private:
  Database& db_;
  const UiConfig& ui_;
  TokenCache cache_;  // by the cookie's hash
};

}  // namespace signet::host
