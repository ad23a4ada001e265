// People's sign-in to the dashboard (docs/dashboard.md "Sign-in"):
//   GET    /v1/session/options        how one may sign in here (open)
//   POST   /v1/session                {"token": …}: a session from a token (open, audited)
//   GET    /v1/session                who the session is, what they may do, its CSRF token
//   DELETE /v1/session                sign out
//   GET    /v1/session/oidc/login     off to the identity provider (open)
//   GET    /v1/session/oidc/callback  back from it: a session (open, audited)
// The session cookie is HttpOnly, Secure and SameSite=Strict; the OIDC
// state cookie is SameSite=Lax, since the provider's redirect back is a
// navigation from another site.
#include "api/api.hpp"
#include "auth/oidc.hpp"
#include "auth/sessions.hpp"
#include "auth/tokens.hpp"
#include "db/audit.hpp"
#include "db/tokens.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr const char* kStateCookie = "signet_oidc_state";

// What the dashboard shows buttons for, as the caller's roles allow.
const char* const kUiGrants[] = {"cert:read",   "cert:request",  "cert:renew",   "cert:revoke",     "cert:export",
                                 "request:read", "request:approve", "audit:read", "token:read",      "token:create",
                                 "tenant:read", "approle:read",  "notification:read", "ca:read"};

std::string session_cookie(const std::string& value, std::chrono::seconds max_age) {
  return std::string(kSessionCookie) + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age.count()) +
         "; Secure; HttpOnly; SameSite=Strict";
}

void audit(const ApiDependencies& deps, const RequestContext& c, const Principal& p, const std::string& action,
           const std::string& outcome, const json& detail) {
  (void)append_audit(deps.db, {p.tenant_id, p.id, p.auth, c.remote, action, "", outcome, c.request_id, detail});
}

json whoami(const ApiDependencies& deps, const Principal& p) {
  json can = json::object();
  for (const char* grant : kUiGrants) {
    const Access access = deps.roles.access(p.roles, grant);
    can[grant] = access == Access::all ? "all" : access == Access::own ? "own" : "none";
  }
  return {{"id", p.id}, {"name", p.name.empty() ? p.id : p.name}, {"tenant", p.tenant}, {"roles", p.roles},
          {"auth", p.auth}, {"super_admin", p.has_role(kSuperAdminRole)}, {"can", std::move(can)}};
}

HttpResponseMessage opened(const ApiDependencies& deps, const Principal& p, const Sessions::Opened& s, TimePoint now) {
  auto response = json_response(http::status::created, {{"user", whoami(deps, p)}, {"csrf", s.csrf},
                                                          {"expires_at", to_rfc3339(s.expires_at)}});
  response.set(http::field::set_cookie,
               session_cookie(s.cookie, std::chrono::duration_cast<std::chrono::seconds>(s.expires_at - now)));
  return response;
}

HttpResponseMessage options(RequestContext&, const ApiDependencies& deps) {
  const OidcConfig& oidc = deps.config.ui.oidc;
  return json_response(http::status::ok,
                       {{"token", deps.config.ui.token_sign_in},
                        {"oidc", oidc.issuer.empty() ? json(nullptr) : json{{"name", oidc.display_name}, {"login_url", "/v1/session/oidc/login"}}}});
}

HttpResponseMessage token_sign_in(RequestContext& c, const ApiDependencies& deps) {
  if (!deps.config.ui.token_sign_in) return error_response({"not_configured", "sign-in with a token is off here (ui.token_sign_in)"}, c.request_id);
  const json body = json::parse(c.message.body(), nullptr, false);
  if (!body.is_object() || !body.value("token", json()).is_string() || body.size() != 1)
    return error_response({"invalid_request", "a sign-in takes {\"token\": \"…\"}"}, c.request_id);
  const std::string token = body.at("token").get<std::string>();
  auto principal = TokenStore(deps.db, nullptr).authenticate(token, c.remote);
  if (!principal) {
    audit(deps, c, {}, "session.login", "failure", {{"method", "token"}});
    return error_response(host_error(principal.error()), c.request_id);
  }
  auto row = TokenRepo(deps.db).find_by_hash(sha256_hex(token));
  const std::optional<TimePoint> expires = row && row.value() ? row.value()->token.expires_at : std::nullopt;
  const TimePoint now = Clock::now();
  auto session = deps.sessions->open(principal.value(), principal->id, now, expires);
  if (!session) return error_response(host_error(session.error()), c.request_id);
  Principal shown = principal.value();
  shown.auth = "session:token";
  audit(deps, c, shown, "session.login", "success", {{"method", "token"}});
  return opened(deps, shown, session.value(), now);
}

HttpResponseMessage current(RequestContext& c, const ApiDependencies& deps) {
  const auto cookie = cookie_value(c.message, kSessionCookie);
  if (!cookie) return error_response({"unauthenticated", "not signed in"}, c.request_id);
  if (foreign_origin(c.message))  // as for every call made with the cookie (auth/authenticate.cpp)
    return error_response({"csrf_failed", "the session cookie came with a request from another origin's page"}, c.request_id);
  auto principal = deps.sessions->resume(*cookie, Clock::now());
  if (const auto* e = std::get_if<HostError>(&principal)) return error_response(*e, c.request_id);
  return json_response(http::status::ok, {{"user", whoami(deps, std::get<Principal>(principal))}, {"csrf", Sessions::csrf_of(*cookie)}});
}

HttpResponseMessage sign_out(RequestContext& c, const ApiDependencies& deps) {
  const auto cookie = cookie_value(c.message, kSessionCookie);
  auto cleared = json_response(http::status::ok, {{"signed_out", true}});
  cleared.set(http::field::set_cookie, session_cookie("", std::chrono::seconds(0)));
  if (!cookie) return cleared;
  const auto csrf = c.message.find("X-CSRF-Token");
  if (csrf == c.message.end() || std::string(csrf->value()) != Sessions::csrf_of(*cookie))
    return error_response({"csrf_failed", "signing out needs the session's X-CSRF-Token header"}, c.request_id);
  auto principal = deps.sessions->resume(*cookie, Clock::now());
  if (auto closed = deps.sessions->close(*cookie, Clock::now()); !closed)
    return error_response(host_error(closed.error()), c.request_id);
  if (const auto* p = std::get_if<Principal>(&principal)) audit(deps, c, *p, "session.logout", "success", json::object());
  return cleared;
}

// Only paths of this dashboard: never a redirect to another site.
std::string safe_return(const std::string& to) {
  return to.rfind("/ui/", 0) == 0 && to.find("//") == std::string::npos && to.find('\\') == std::string::npos ? to : "/ui/";
}

HttpResponseMessage oidc_login(RequestContext& c, const ApiDependencies& deps) {
  if (!deps.oidc) return error_response({"not_configured", "no identity provider is configured (ui.oidc)"}, c.request_id);
  auto started = deps.oidc->start(safe_return(c.query_value("return_to")), Clock::now());
  if (!started) return error_response(host_error(started.error()), c.request_id);
  HttpResponseMessage response{http::status::found, 11};
  response.set(http::field::location, started->authorization_url);
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::set_cookie, std::string(kStateCookie) + "=" + started->state +
                                            "; Path=/v1/session/oidc; Max-Age=600; Secure; HttpOnly; SameSite=Lax");
  return response;
}

// The session cookie is SameSite=Strict, and this answer ends a navigation
// that began on the provider's site: a browser would not send the cookie
// on a redirect from here. A page of our own that moves on does.
HttpResponseMessage continue_page(const std::string& to, const std::string& message) {
  const std::string body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signet</title>" +
                           (to.empty() ? std::string() : "<meta http-equiv=\"refresh\" content=\"0;url=" + to + "\">") +
                           "</head><body><p>" + message + "</p><p><a href=\"" + (to.empty() ? "/ui/" : to) +
                           "\">Continue</a></p></body></html>";
  auto response = text_response(to.empty() ? http::status::forbidden : http::status::ok, body, "text/html; charset=utf-8");
  response.set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  return response;
}

std::string html_text(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '<') out += "&lt;";
    else if (ch == '>') out += "&gt;";
    else if (ch == '&') out += "&amp;";
    else if (ch == '"') out += "&quot;";
    else out += ch;
  }
  return out;
}

HttpResponseMessage oidc_callback(RequestContext& c, const ApiDependencies& deps) {
  if (!deps.oidc) return error_response({"not_configured", "no identity provider is configured (ui.oidc)"}, c.request_id);
  const TimePoint now = Clock::now();
  if (const std::string error = c.query_value("error"); !error.empty()) {
    audit(deps, c, {}, "session.login", "failure", {{"method", "oidc"}, {"reason", error.substr(0, 64)}});
    return continue_page("", "The identity provider did not sign you in (" + html_text(error.substr(0, 64)) + ").");
  }
  auto person = deps.oidc->finish(c.query_value("code"), c.query_value("state"),
                                  cookie_value(c.message, kStateCookie).value_or(""), c.query_value("iss"), now);
  if (!person) {
    audit(deps, c, {}, "session.login", "failure", {{"method", "oidc"}, {"reason", person.error().message}});
    if (person.error().code == ErrorCode::unavailable) return error_response(host_error(person.error()), c.request_id);
    return continue_page("", "Signing in failed: " + html_text(person.error().message));
  }
  auto session = deps.sessions->open(person->principal, person->source, now);
  if (!session) return error_response(host_error(session.error()), c.request_id);
  Principal shown = person->principal;
  shown.auth = "session:oidc";
  audit(deps, c, shown, "session.login", "success", {{"method", "oidc"}, {"roles", shown.roles}});
  auto response = continue_page(person->return_to, "Signed in as " + html_text(shown.name) + ".");
  response.set(http::field::set_cookie,
               session_cookie(session->cookie, std::chrono::duration_cast<std::chrono::seconds>(session->expires_at - now)));
  response.insert(http::field::set_cookie, std::string(kStateCookie) + "=; Path=/v1/session/oidc; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
  return response;
}

}  // namespace

void add_session_routes(Router& router, ApiDependencies deps) {
  if (!deps.sessions) return;
  const RouteOptions open{.permission = "session:login", .open = true, .inline_ = false, .limit_source = true};
  router.add(http::verb::get, "/v1/session/options", [deps](RequestContext& c) { return options(c, deps); }, open);
  router.add(http::verb::post, "/v1/session", [deps](RequestContext& c) { return token_sign_in(c, deps); }, open);
  router.add(http::verb::get, "/v1/session", [deps](RequestContext& c) { return current(c, deps); }, open);
  router.add(http::verb::delete_, "/v1/session", [deps](RequestContext& c) { return sign_out(c, deps); }, open);
  router.add(http::verb::get, "/v1/session/oidc/login", [deps](RequestContext& c) { return oidc_login(c, deps); }, open);
  router.add(http::verb::get, "/v1/session/oidc/callback", [deps](RequestContext& c) { return oidc_callback(c, deps); }, open);
}

}  // namespace signet::host
