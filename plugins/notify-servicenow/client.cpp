#include "client.hpp"

#include <encoding/base64.hpp>

#include <charconv>
#include <system_error>
#include <utility>

#include <openssl/evp.h>

namespace signet::servicenow {
namespace {

constexpr const char* kUserAgent = "signet-notify-servicenow/1";
// Bounds a paging loop whatever the Link headers say.
constexpr int kMaxPages = 100;
// ServiceNow's 429 normally carries Retry-After; without it, an hour's
// counters are committed every 30 s, so a minute is a sane wait.
constexpr std::chrono::seconds kDefaultRateLimitWait{60};


nlohmann::json parse_json(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

// Text that is not valid UTF-8 is replaced rather than thrown about.
std::string dump(const nlohmann::json& value) { return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

const nlohmann::json* result_of(const nlohmann::json& answer) {
  if (!answer.is_object()) return nullptr;
  const auto found = answer.find("result");
  return found == answer.end() ? nullptr : &*found;
}

// The record a POST or PATCH returns; {} when the body had none.
nlohmann::json record_in(const std::string& body) {
  const auto answer = parse_json(body);
  const nlohmann::json* result = result_of(answer);
  return result && result->is_object() ? *result : nlohmann::json::object();
}

// What a path works on, for metrics and messages: the table of
// /api/now/table/<table>…, "attachment" for the Attachment API.
std::string label_of(const std::string& path) {
  const std::string table_prefix = "/api/now/table/";
  if (path.rfind(table_prefix, 0) == 0) {
    const std::string rest = path.substr(table_prefix.size());
    return rest.substr(0, rest.find_first_of("/?"));
  }
  if (path.rfind("/api/now/attachment", 0) == 0) return "attachment";
  return "other";
}

std::string status_class(int status) { return std::to_string(status / 100) + "xx"; }

// The path and query of a paging URL. Only they are used, under the
// configured instance URL, so the credentials never follow a link elsewhere.
// A byte a URL cannot carry as it is ('^' or a space, should a link hold
// one) is percent-encoded; what is encoded already stays as it is.
std::string path_of(const std::string& url) {
  std::string path = url;
  if (const auto scheme = url.find("://"); scheme != std::string::npos) {
    const auto slash = url.find('/', scheme + 3);
    path = slash == std::string::npos ? std::string() : url.substr(slash);
  }
  if (path.rfind("/api/now/", 0) != 0) return {};
  static const std::string kLegal = ":/?#[]@!$&'()*+,;=%";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    out += (encoding::url_unreserved(byte) || kLegal.find(c) != std::string::npos) ? std::string(1, c) : url_encode(std::string_view(&c, 1));
  }
  return out;
}

// ServiceNow's error envelope: {"error":{"message","detail"},"status":"failure"}.
std::pair<std::string, std::string> error_parts(const std::string& body) {
  const auto answer = parse_json(body);
  if (!answer.is_object()) return {};
  const auto found = answer.find("error");
  if (found == answer.end()) return {};
  if (found->is_string()) return {found->get<std::string>(), ""};
  return {field_text(*found, "message"), field_text(*found, "detail")};
}

std::optional<std::chrono::seconds> retry_after_of(const HttpResponse& response) {
  const std::string text = response.header("retry-after");
  long long seconds = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (parsed.ec != std::errc() || seconds <= 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

}  // namespace

std::string field_text(const nlohmann::json& row, const std::string& field) {
  if (!row.is_object()) return {};
  const auto found = row.find(field);
  if (found == row.end()) return {};
  if (found->is_string()) return found->get<std::string>();
  if (found->is_number_integer()) return std::to_string(found->get<long long>());
  if (found->is_boolean()) return found->get<bool>() ? "true" : "false";
  if (found->is_object()) {
    const auto value = found->find("value");
    if (value != found->end() && value->is_string()) return value->get<std::string>();
  }
  return {};
}

std::string next_link(const std::string& link_header) {
  // <url>;rel="first",<url>;rel="next",…: URLs may hold commas, so each
  // entry runs from its '<' to the next one.
  std::size_t open = 0;
  while ((open = link_header.find('<', open)) != std::string::npos) {
    const auto close = link_header.find('>', open);
    if (close == std::string::npos) break;
    const auto following = link_header.find('<', close);
    const std::string params =
        link_header.substr(close + 1, following == std::string::npos ? std::string::npos : following - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return link_header.substr(open + 1, close - open - 1);
    open = close;
  }
  return {};
}

Error status_error(const std::string& method, const std::string& what, const HttpResponse& response) {
  const auto [message, detail] = error_parts(response.body);
  const int status = response.status;
  if (status == 429) {
    Error error = make_error(ErrorCode::rate_limited, "ServiceNow rate limit:" + (message.empty() ? "" : " " + message) +
                                                          (detail.empty() ? "" : " " + detail));
    error.retry_after = retry_after_of(response).value_or(kDefaultRateLimitWait);
    return error;
  }
  std::string text = "ServiceNow answered " + std::to_string(status) + " on " + method + " " + what;
  if (!message.empty()) text += ": " + message;
  if (status >= 500 || status == 408) {
    Error error = make_error(ErrorCode::unavailable, text);
    error.retry_after = retry_after_of(response);
    return error;
  }
  if (!detail.empty()) text += ": " + detail;
  return make_error(status == 401 ? ErrorCode::unauthenticated : ErrorCode::rejected, text);
}

ServiceNowClient::ServiceNowClient(const ServiceNowConfig& config, HostServices& services)
    : config_(config), services_(services) {
  if (config_.auth.type == AuthType::basic)
    basic_header_ = "Basic " + encoding::base64(config_.auth.username + ":" + config_.auth.password);
}

HttpRequest ServiceNowClient::request(const std::string& method, const std::string& url, const std::string& body,
                                      const std::string& content_type) const {
  HttpRequest out;
  out.method = method;
  out.url = url;
  out.body = body;
  out.options = config_.http;
  out.headers = {{"Accept", "application/json"}, {"User-Agent", kUserAgent}};
  if (!content_type.empty()) out.headers.emplace_back("Content-Type", content_type);
  return out;
}

void ServiceNowClient::note_auth(const std::optional<Error>& refusal) {
  std::lock_guard lock(state_mutex_);
  auth_refusal_ = refusal;
}

Result<void> ServiceNowClient::health() const {
  std::lock_guard lock(state_mutex_);
  if (auth_refusal_) return *auth_refusal_;
  return {};
}

Result<ServiceNowClient::Token> ServiceNowClient::token_request(const std::vector<std::pair<std::string, std::string>>& form) {
  const std::string body = encoding::form_encode(form);
  const std::string grant = form.empty() ? std::string() : form.front().second;  // grant_type comes first
  auto response = services_.http().send(
      request("POST", config_.instance_url + "/oauth_token.do", body, "application/x-www-form-urlencoded"));
  services_.metrics().counter_add("signet_servicenow_token_fetches_total", "OAuth token requests to ServiceNow by grant and answer",
                                  {{"grant", grant}, {"class", response ? status_class(response->status) : "error"}}, 1);
  if (!response) return std::move(response).error();
  const int status = response->status;
  const auto answer = parse_json(response->body);
  if (status == 429 || status >= 500) return status_error("POST", "oauth_token.do", *response);
  if (status < 200 || status >= 300) {
    std::string why = field_text(answer, "error_description");
    if (why.empty()) why = field_text(answer, "error");
    if (why.empty()) why = "HTTP " + std::to_string(status);
    return make_error(ErrorCode::unauthenticated, "ServiceNow refused the OAuth client (" + why + ")");
  }
  Token token;
  token.access = field_text(answer, "access_token");
  token.refresh = field_text(answer, "refresh_token");
  if (token.access.empty()) return make_error(ErrorCode::unavailable, "ServiceNow's token endpoint answered without an access_token");
  const std::string expires = field_text(answer, "expires_in");
  long long lifetime = 0;
  if (std::from_chars(expires.data(), expires.data() + expires.size(), lifetime).ec != std::errc() || lifetime <= 0)
    lifetime = 1800;  // ServiceNow's default token lifespan
  // Renewed a minute early, so a token never expires between the check and the call.
  token.renew_at = services_.clock().now() + std::chrono::seconds(lifetime > 120 ? lifetime - 60 : lifetime / 2);
  return token;
}

Result<void> ServiceNowClient::renew_token() {
  const AuthConfig& auth = config_.auth;
  if (!token_.refresh.empty()) {
    auto refreshed = token_request({{"grant_type", "refresh_token"},
                                    {"client_id", auth.client_id},
                                    {"client_secret", auth.client_secret},
                                    {"refresh_token", token_.refresh}});
    if (refreshed) {
      if (refreshed->refresh.empty()) refreshed->refresh = token_.refresh;
      token_ = std::move(refreshed).value();
      return {};
    }
    if (refreshed.error().retryable()) return std::move(refreshed).error();
    token_.refresh.clear();  // expired or revoked: the full grant below
  }
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "client_credentials"}, {"client_id", auth.client_id}, {"client_secret", auth.client_secret}};
  if (auth.grant == Grant::password) {
    form.front().second = "password";
    form.emplace_back("username", auth.username);
    form.emplace_back("password", auth.password);
  }
  auto granted = token_request(form);
  if (!granted) return std::move(granted).error();
  token_ = std::move(granted).value();
  return {};
}

Result<std::string> ServiceNowClient::authorization(const std::string& refused) {
  if (config_.auth.type == AuthType::basic) return basic_header_;
  // Held across the fetch: threads that find the token stale wait for one
  // fetch instead of each asking ServiceNow for a token of its own.
  std::lock_guard lock(mutex_);
  const std::string current = token_.access.empty() ? std::string() : "Bearer " + token_.access;
  if (!current.empty() && current != refused && services_.clock().now() < token_.renew_at) return current;
  token_.access.clear();
  auto renewed = renew_token();
  if (!renewed) {
    if (renewed.error().code == ErrorCode::unauthenticated) note_auth(renewed.error());
    services_.logger().warn("notify-servicenow: no OAuth token", {{"error", renewed.error().message}});
    return std::move(renewed).error();
  }
  note_auth(std::nullopt);
  return "Bearer " + token_.access;
}

Result<HttpResponse> ServiceNowClient::exchange(const std::string& method, const std::string& path_and_query,
                                                const std::string& body, const std::string& content_type) {
  const std::string what = label_of(path_and_query);
  std::string refused;
  // A 401 usually means the token expired early: one fresh token, one retry.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto header = authorization(refused);
    if (!header) return std::move(header).error();
    HttpRequest outgoing = request(method, config_.instance_url + path_and_query, body, content_type);
    outgoing.headers.emplace_back("Authorization", header.value());
    auto response = services_.http().send(outgoing);
    services_.metrics().counter_add("signet_servicenow_calls_total", "Calls to ServiceNow's REST API by table and answer",
                                    {{"table", what}, {"class", response ? status_class(response->status) : "error"}}, 1);
    if (!response) return std::move(response).error();  // unavailable or timeout: the host retries
    if (response->status != 401) {
      note_auth(std::nullopt);  // authenticated, whatever else the answer says
      return response;
    }
    if (config_.auth.type == AuthType::basic) break;  // the same password again cannot help
    refused = header.value();
  }
  Error refusal = make_error(ErrorCode::unauthenticated, "ServiceNow refused the integration user's credentials (HTTP 401)");
  note_auth(refusal);
  services_.logger().warn("notify-servicenow: ServiceNow answered 401", {{"call", method + " " + what}});
  return refusal;
}

Result<HttpResponse> ServiceNowClient::call(const std::string& method, const std::string& path_and_query,
                                            const std::string& body, const std::string& content_type) {
  auto response = exchange(method, path_and_query, body, content_type);
  if (!response || (response->status >= 200 && response->status < 300)) return response;
  Error error = status_error(method, label_of(path_and_query), *response);
  services_.logger().warn("notify-servicenow: ServiceNow refused a call",
                          {{"call", method + " " + label_of(path_and_query)}, {"status", response->status}, {"error", error.message}});
  return error;
}

Result<std::vector<nlohmann::json>> ServiceNowClient::get_records(const std::string& table, const std::string& query,
                                                                  const std::string& fields, std::size_t limit) {
  std::vector<nlohmann::json> rows;
  std::string path = "/api/now/table/" + table + "?sysparm_query=" + url_encode(query) + "&sysparm_fields=" + url_encode(fields) +
                     "&sysparm_limit=" + std::to_string(limit) + "&sysparm_exclude_reference_link=true";
  // The limit applies before ACLs: a page may be short, even empty, while
  // `next` still exists, so only the absence of `next` ends the list.
  for (int page = 0; page < kMaxPages && rows.size() < limit && !path.empty(); ++page) {
    auto response = call("GET", path, "", "");
    if (!response) return std::move(response).error();
    const auto answer = parse_json(response->body);
    const nlohmann::json* result = result_of(answer);
    // A hibernating instance answers 200 with an HTML page.
    if (!result || !result->is_array())
      return make_error(ErrorCode::unavailable, "ServiceNow answered GET " + table + " without a result list");
    for (const auto& row : *result)
      if (row.is_object() && rows.size() < limit) rows.push_back(row);
    path = path_of(next_link(response->header("link")));
  }
  return rows;
}

Result<nlohmann::json> ServiceNowClient::get_record(const std::string& table, const std::string& sys_id,
                                                    const std::string& fields) {
  const std::string path = "/api/now/table/" + table + "/" + sys_id + "?sysparm_fields=" + url_encode(fields) +
                           "&sysparm_exclude_reference_link=true";
  auto response = exchange("GET", path, "", "");
  if (!response) return std::move(response).error();
  if (response->status == 404) return make_error(ErrorCode::not_found, "no " + table + " record " + sys_id + " in ServiceNow");
  if (response->status < 200 || response->status >= 300) return status_error("GET", table, *response);
  const auto answer = parse_json(response->body);
  const nlohmann::json* result = result_of(answer);
  if (!result || !result->is_object())
    return make_error(ErrorCode::unavailable, "ServiceNow answered GET " + table + " without a record");
  return *result;
}

Result<nlohmann::json> ServiceNowClient::create(const std::string& table, const nlohmann::json& record) {
  auto response = call("POST", "/api/now/table/" + table, dump(record), "application/json");
  if (!response) return std::move(response).error();
  return record_in(response->body);
}

Result<nlohmann::json> ServiceNowClient::update(const std::string& table, const std::string& sys_id,
                                                const nlohmann::json& fields) {
  auto response = call("PATCH", "/api/now/table/" + table + "/" + sys_id, dump(fields), "application/json");
  if (!response) return std::move(response).error();
  return record_in(response->body);
}

Result<nlohmann::json> ServiceNowClient::attach(const std::string& table, const std::string& sys_id,
                                                const std::string& file_name, const std::string& content_type,
                                                const std::string& bytes) {
  const std::string path = "/api/now/attachment/file?table_name=" + url_encode(table) + "&table_sys_id=" + url_encode(sys_id) +
                           "&file_name=" + url_encode(file_name);
  auto response = call("POST", path, bytes, content_type);
  if (!response) return std::move(response).error();
  return record_in(response->body);
}

Result<std::optional<nlohmann::json>> ServiceNowClient::find_attachment(const std::string& table_sys_id,
                                                                        const std::string& file_name) {
  const std::string path = "/api/now/attachment?sysparm_query=" + url_encode("table_sys_id=" + table_sys_id + "^file_name=" + file_name) +
                           "&sysparm_limit=10";
  auto response = call("GET", path, "", "");
  if (!response) return std::move(response).error();
  const auto answer = parse_json(response->body);
  const nlohmann::json* result = result_of(answer);
  if (!result || !result->is_array())
    return make_error(ErrorCode::unavailable, "ServiceNow answered GET attachment without a result list");
  // Checked here too: an instance ignores a query part it cannot read.
  for (const auto& row : *result)
    if (field_text(row, "table_sys_id") == table_sys_id && field_text(row, "file_name") == file_name)
      return std::optional<nlohmann::json>(row);
  return std::optional<nlohmann::json>();
}

}  // namespace signet::servicenow
