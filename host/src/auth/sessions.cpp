#include "auth/sessions.hpp"

#include <crypto/random.hpp>
#include <encoding/base64url.hpp>
#include <nlohmann/json.hpp>

#include "db/sessions.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

json principal_json(const Principal& p) {
  return {{"id", p.id}, {"tenant_id", p.tenant_id}, {"tenant", p.tenant}, {"roles", p.roles},
          {"service", p.service}, {"auth", p.auth}, {"name", p.name}};
}

std::optional<Principal> principal_of(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Principal p;
  p.id = j.value("id", "");
  p.tenant_id = j.value("tenant_id", "");
  p.tenant = j.value("tenant", "");
  p.roles = j.value("roles", std::vector<std::string>{});
  p.service = j.value("service", "");
  p.auth = j.value("auth", "");
  p.name = j.value("name", "");
  if (p.id.empty() || p.tenant_id.empty()) return std::nullopt;
  return p;
}

// A session is touched at most this often: a request a second must not be
// a write a second.
constexpr auto kTouchEvery = std::chrono::seconds(30);

}  // namespace

Result<Sessions::Opened> Sessions::open(const Principal& principal, const std::string& source, TimePoint now,
                                        std::optional<TimePoint> not_after) {
  const std::string cookie = encoding::base64url(crypto::random_bytes(32));
  TimePoint expires = now + std::chrono::duration_cast<Clock::duration>(ui_.absolute_timeout);
  if (not_after && *not_after < expires) expires = *not_after;
  Principal stored = principal;
  stored.auth = "session:" + principal.auth;
  SessionRow row{sha256_hex(cookie), principal_json(stored).dump(), source, now, now,
                 now + std::chrono::duration_cast<Clock::duration>(ui_.idle_timeout), expires};
  if (auto inserted = insert_session(db_, row); !inserted) return std::move(inserted).error();
  return Opened{cookie, csrf_of(cookie), expires};
}

std::variant<Principal, HostError> Sessions::resume(const std::string& cookie, TimePoint now) {
  const HostError ended{"unauthenticated", "the session has ended; sign in again"};
  if (cookie.empty() || cookie.size() > 100) return ended;
  const std::string hash = sha256_hex(cookie);
  if (auto cached = cache_.find(hash, now)) return *cached;
  auto found = find_session(db_, hash);
  if (!found) return HostError{"unavailable", "sessions cannot be read now"};
  if (!found.value() || found.value()->expires_at <= now || found.value()->idle_until <= now) return ended;
  auto principal = principal_of(found.value()->principal);
  if (!principal) return ended;
  if (now - found.value()->last_seen_at >= kTouchEvery)
    (void)touch_session(db_, hash, now, now + std::chrono::duration_cast<Clock::duration>(ui_.idle_timeout));
  cache_.put(hash, *principal, std::min(found.value()->expires_at, found.value()->idle_until), now);
  return *principal;
}

Result<void> Sessions::close(const std::string& cookie, TimePoint now) {
  const std::string hash = sha256_hex(cookie);
  cache_.forget(hash);
  return end_session(db_, hash, now);
}

std::string Sessions::csrf_of(const std::string& cookie) { return sha256_hex("csrf:" + cookie); }

}  // namespace signet::host
