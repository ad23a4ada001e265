// Calls to one ServiceNow instance: OAuth or Basic auth, the Table API and
// the Attachment API, ServiceNow's answers mapped to Signet error codes.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <encoding/url.hpp>
#include <signet/sdk.hpp>

#include "config.hpp"

namespace signet::servicenow {

using encoding::url_encode;  // common/encoding/url.hpp

// A field of a Table API row as text: a string as it is, a reference
// object's "value", anything else "".
std::string field_text(const nlohmann::json& row, const std::string& field);

// The rel="next" URL of a Link header; "" when there is none.
std::string next_link(const std::string& link_header);

// The Error for a non-2xx answer to `method` on `what` (a table name,
// "attachment"): 429 rate_limited (Retry-After, default 60 s), 408 and 5xx
// unavailable, 401 unauthenticated, any other status rejected.
Error status_error(const std::string& method, const std::string& what, const HttpResponse& response);

class ServiceNowClient {
 public:
  ServiceNowClient(const ServiceNowConfig& config, HostServices& services);
  ServiceNowClient(const ServiceNowClient&) = delete;
  ServiceNowClient& operator=(const ServiceNowClient&) = delete;

  // One authenticated exchange with `path_and_query` under the instance
  // URL. Any HTTP status is a value, except a 401 that a fresh token did
  // not cure (Error{unauthenticated}); transport failures pass through.
  Result<HttpResponse> exchange(const std::string& method, const std::string& path_and_query, const std::string& body,
                                const std::string& content_type);
  // exchange(), and any status but 2xx as status_error().
  Result<HttpResponse> call(const std::string& method, const std::string& path_and_query, const std::string& body,
                            const std::string& content_type);

  // Rows matching an encoded query, at most `limit`, following the Link
  // header's rel="next" (a page may be short, even empty, while more
  // follow). Reference fields come back as plain sys_ids.
  Result<std::vector<nlohmann::json>> get_records(const std::string& table, const std::string& query,
                                                  const std::string& fields, std::size_t limit);
  // One record; Error{not_found} when the instance has none by that sys_id.
  Result<nlohmann::json> get_record(const std::string& table, const std::string& sys_id, const std::string& fields);
  // POST and PATCH through the Table API; the record as ServiceNow returns it.
  Result<nlohmann::json> create(const std::string& table, const nlohmann::json& record);
  Result<nlohmann::json> update(const std::string& table, const std::string& sys_id, const nlohmann::json& fields);
  // POST /api/now/attachment/file with the raw bytes; the attachment's metadata.
  Result<nlohmann::json> attach(const std::string& table, const std::string& sys_id, const std::string& file_name,
                                const std::string& content_type, const std::string& bytes);
  // The metadata of the record's attachment of that name, if there is one.
  Result<std::optional<nlohmann::json>> find_attachment(const std::string& table_sys_id, const std::string& file_name);

  // The last authentication refusal, if the last attempt was refused; no call.
  Result<void> health() const;

 private:
  struct Token {
    std::string access;
    std::string refresh;  // password grant only
    std::chrono::system_clock::time_point renew_at{};
  };

  // The Authorization header to send; a Bearer token other than
  // `refused` (the one ServiceNow just answered 401 to).
  Result<std::string> authorization(const std::string& refused);
  // A new access token (mutex_ held): the refresh grant first when there
  // is a refresh token, else (or when it is refused) the configured grant.
  Result<void> renew_token();
  Result<Token> token_request(const std::vector<std::pair<std::string, std::string>>& form);
  void note_auth(const std::optional<Error>& refusal);
  HttpRequest request(const std::string& method, const std::string& url, const std::string& body,
                      const std::string& content_type) const;

  const ServiceNowConfig& config_;
  HostServices& services_;
  std::string basic_header_;  // "Basic …" for type basic; "" for oauth
  std::mutex mutex_;          // held across a token fetch, so threads that need one share it
  Token token_;               // guarded by mutex_
  mutable std::mutex state_mutex_;
  std::optional<Error> auth_refusal_;  // guarded by state_mutex_
};

}  // namespace signet::servicenow
