#include "api/idempotency.hpp"

#include <nlohmann/json.hpp>

#include "db/idempotency_keys.hpp"
#include "http/errors.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

constexpr auto kKept = std::chrono::hours(24);

bool valid_key(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (const unsigned char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// What makes two requests "the same": method, target and body.
std::string fingerprint_of(const RequestContext& context) {
  return sha256_hex(std::string(http::to_string(context.message.method())) + " " + std::string(context.message.target()) +
                    "\n" + context.message.body());
}

std::string storable_body(const HttpResponseMessage& response, const std::vector<std::string>& secret_fields) {
  if (secret_fields.empty()) return response.body();
  auto body = nlohmann::json::parse(response.body(), nullptr, false);
  if (!body.is_object()) return response.body();
  for (const auto& field : secret_fields)
    if (body.erase(field)) body[field + "_delivered"] = true;
  return body.dump();
}

HttpResponseMessage replay(const StoredAnswer& stored) {
  HttpResponseMessage response{static_cast<http::status>(stored.status), 11};
  response.set(http::field::content_type, stored.content_type);
  response.set("Idempotent-Replayed", "true");
  response.body() = stored.body;
  response.prepare_payload();
  return response;
}

}  // namespace

Handler idempotent(Database& db, Handler inner, std::vector<std::string> secret_fields) {
  return [&db, inner = std::move(inner), secret_fields = std::move(secret_fields)](RequestContext& context) {
    const auto header = context.message.find("Idempotency-Key");
    if (header == context.message.end() || !context.principal) return inner(context);
    const std::string key(header->value());
    if (!valid_key(key))
      return error_response({"invalid_request", "Idempotency-Key must be 1 to 255 visible ASCII characters"}, context.request_id);
    const std::string principal = context.principal->id, fingerprint = fingerprint_of(context);
    const auto now = std::chrono::system_clock::now();
    auto claimed = claim_idempotency_key(db, principal, key, fingerprint, now, now - kKept);
    if (!claimed) return error_response(host_error(claimed.error()), context.request_id);
    if (const auto& stored = claimed.value()) {
      if (stored->fingerprint != fingerprint)
        return error_response({"idempotency_key_reused", "this Idempotency-Key was used with another request"}, context.request_id);
      if (stored->status == 0) {
        auto busy = error_response({"conflict", "the first request with this Idempotency-Key is still running"}, context.request_id);
        busy.set(http::field::retry_after, "1");
        return busy;
      }
      return replay(*stored);
    }
    auto response = inner(context);
    // A 5xx may go away on a retry: the key is let go rather than pinned to it.
    const bool final = response.result_int() < 500;
    const auto saved = final ? complete_idempotency_key(db, principal, key,
                                                        {fingerprint, static_cast<int>(response.result_int()),
                                                         std::string(response[http::field::content_type]),
                                                         storable_body(response, secret_fields)})
                             : release_idempotency_key(db, principal, key);
    // The answer stands either way; a key that could not be completed is
    // let go, so a retry runs again rather than waiting on it for a day.
    if (!saved && final) (void)release_idempotency_key(db, principal, key);
    return response;
  };
}

}  // namespace signet::host
