#include "services/http_client.hpp"

#include "util/text.hpp"

#include <curl/curl.h>
#include <curlutil/curl.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace signet::host {
namespace {

using std::chrono::milliseconds;

using CurlEasy = curlutil::Easy;
using CurlHeaderList = curlutil::List;
using CurlUrl = curlutil::Url;
using CurlString = curlutil::String;
using CurlOptions = curlutil::Options;

constexpr std::string_view requests_metric = "signet_http_client_requests_total";
constexpr std::string_view requests_metric_help =
    "Outbound HTTP attempts by outcome: the response status, or error for a transport failure.";

// curl_global_init is not thread-safe and must run before any other curl call.
void initialise_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}


std::string_view trim(std::string_view text) {
  constexpr std::string_view whitespace = " \t\r\n";
  const auto first = text.find_first_not_of(whitespace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(whitespace);
  return text.substr(first, last - first + 1);
}

// Leading whitespace stays: it marks a folded continuation line.
std::string_view without_line_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// RFC 9110 token: what a method or a header name may consist of.
bool is_token(std::string_view text) {
  constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           specials.find(c) != std::string_view::npos;
  });
}

// A CR or LF would let a value inject further header lines; a NUL would cut
// it short, as curl takes C strings.
bool is_safe_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool method_carries_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

std::string url_part(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK) return {};
  const CurlString owned(raw);
  return owned ? std::string(owned.get()) : std::string();
}

// "https://acme.example": enough to say where a request went, without the
// user info, path or query, any of which may hold a secret.
std::string describe_target(const std::string& url) {
  const CurlUrl parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return "<unparsable URL>";
  return url_part(parsed.get(), CURLUPART_SCHEME) + "://" +
         url_part(parsed.get(), CURLUPART_HOST);
}

// What curl hands over while a transfer runs. The callbacks are called from
// C, so no exception may leave them: returning a short count makes curl
// abort the transfer instead.
struct ResponseCapture {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void add_header_line(std::string_view line) {
    if (line.empty()) return;
    if (line.starts_with("HTTP/")) {
      // A new response begins (after a 100 Continue or a proxy's CONNECT
      // reply): only the last one's headers describe what the caller gets.
      headers.clear();
      return;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
      headers.back().second += ' ';  // obsolete line folding continues the last value
      headers.back().second += trim(line);
      return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    headers.emplace_back(ascii_lowercase(trim(line.substr(0, colon))),
                         std::string(trim(line.substr(colon + 1))));
  }
};

std::size_t on_body_data(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  const std::size_t length = size * count;
  try {
    static_cast<ResponseCapture*>(user)->body.append(data, length);
  } catch (...) {
    return 0;
  }
  return length;
}

std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  const std::size_t length = size * count;
  try {
    const std::string_view line(data, length);
    static_cast<ResponseCapture*>(user)->add_header_line(without_line_end(line));
  } catch (...) {
    return 0;
  }
  return length;
}

bool has_header(const HttpRequest& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return equals_ignoring_ascii_case(header.first, name); });
}

bool append_header(CurlHeaderList& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;  // the old list is still whole and still owned
  if (!list) list.reset(head);        // once there is a head, appending keeps it
  return true;
}

Result<CurlHeaderList> build_header_list(const HttpRequest& request, bool sends_body,
                                         const std::string& target) {
  CurlHeaderList list;
  std::vector<std::string> lines;
  for (const auto& [name, value] : request.headers) {
    // The message names the header but never its value, which may be a credential.
    if (!is_token(name) || !is_safe_header_value(value))
      return make_error(ErrorCode::invalid_argument,
                        "invalid HTTP header \"" + (is_token(name) ? name : "?") +
                            "\" for " + target);
    // "Name;" is curl's way to send a header with an empty value; "Name:" would remove it.
    lines.push_back(value.empty() ? name + ";" : name + ": " + value);
  }
  // Without these, curl labels every body as a form and stalls large
  // uploads for a 100 Continue.
  if (sends_body && !has_header(request, "content-type")) lines.emplace_back("Content-Type:");
  if (!has_header(request, "expect")) lines.emplace_back("Expect:");
  for (const auto& line : lines) {
    if (!append_header(list, line))
      return make_error(ErrorCode::internal, "out of memory building HTTP headers");
  }
  return list;
}

void set_transport_policy(CurlOptions& set) {
  set.number(CURLOPT_NOSIGNAL, 1L)  // signals are process-wide; this runs on many threads
      .number(CURLOPT_FOLLOWLOCATION, 0L)
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
      .text(CURLOPT_PROTOCOLS_STR, "http,https")
#else
      .number(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS))
#endif
      .number(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
}

void set_connection_options(CurlOptions& set, const HttpOptions& options) {
  set.number(CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()))
      .number(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()))
      .number(CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L)
      .number(CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) set.text(CURLOPT_CAINFO, options.ca_file);
  if (!options.client_cert_file.empty()) set.text(CURLOPT_SSLCERT, options.client_cert_file);
  if (!options.client_key_file.empty()) set.text(CURLOPT_SSLKEY, options.client_key_file);
  // curl would otherwise pick up http_proxy and friends from the environment.
  if (options.proxy.empty()) {
    set.text(CURLOPT_NOPROXY, "*");
  } else {
    set.text(CURLOPT_PROXY, options.proxy);
  }
}

void set_request_options(CurlOptions& set, const HttpRequest& request, curl_slist* headers,
                         bool sends_body) {
  set.text(CURLOPT_URL, request.url).pointer(CURLOPT_HTTPHEADER, headers);
  if (request.method == "HEAD") {
    set.number(CURLOPT_NOBODY, 1L);  // a HEAD via CUSTOMREQUEST would wait for a body
    return;
  }
  set.text(CURLOPT_CUSTOMREQUEST, request.method);
  if (sends_body) {
    // The request outlives the transfer, so curl may read the body in place.
    set.large(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()))
        .data(CURLOPT_POSTFIELDS, request.body.data());
  }
}

void set_capture(CurlOptions& set, ResponseCapture& capture) {
  set.callback(CURLOPT_WRITEFUNCTION, on_body_data)
      .pointer(CURLOPT_WRITEDATA, &capture)
      .callback(CURLOPT_HEADERFUNCTION, on_header_line)
      .pointer(CURLOPT_HEADERDATA, &capture);
}

// Failures that come from the request or the local configuration, not from
// the network: retrying cannot help.
bool is_caller_mistake(CURLcode code) {
  return code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE;
}

Error transport_error(CURLcode code, const HttpRequest& request, const std::string& target) {
  ErrorCode error_code = ErrorCode::unavailable;
  if (code == CURLE_OPERATION_TIMEDOUT) error_code = ErrorCode::timeout;
  if (is_caller_mistake(code)) error_code = ErrorCode::invalid_argument;
  return make_error(error_code,
                    request.method + " " + target + " failed: " + curl_easy_strerror(code));
}

bool is_retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool should_retry(const Result<HttpResponse>& result) {
  if (!result) return result.error().retryable();
  return is_retryable_status(result->status);
}

// Only the delay-seconds form; an HTTP-date falls back to our own backoff.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  constexpr std::int64_t longest_honoured = 1'000'000;  // keeps the conversion to ms exact
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error != std::errc{} || end != value.data() + value.size() || seconds < 0 ||
      seconds > longest_honoured)
    return std::nullopt;
  return std::chrono::seconds(seconds);
}

milliseconds delay_before_retry(const Result<HttpResponse>& result, milliseconds backoff,
                                milliseconds max_backoff) {
  if (result && (result->status == 429 || result->status == 503)) {
    const auto asked = parse_retry_after(result->header("retry-after"));
    if (asked && *asked <= max_backoff) return *asked;
  }
  return std::min(backoff, max_backoff);
}

}  // namespace

CurlHttpClient::CurlHttpClient(signet::Metrics* metrics) : metrics_(metrics) {
  initialise_curl_once();
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  const HttpOptions& options = request.options;
  const int attempts = std::max(1, options.max_attempts);
  milliseconds backoff = std::max(milliseconds(0), options.initial_backoff);
  for (int attempt = 1;; ++attempt) {
    auto result = send_once(request);
    record_outcome(result);
    if (attempt >= attempts || !should_retry(result)) return result;
    std::this_thread::sleep_for(delay_before_retry(result, backoff, options.max_backoff));
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

Result<HttpResponse> CurlHttpClient::send_once(const HttpRequest& request) const {
  const std::string target = describe_target(request.url);
  if (!is_token(request.method))
    return make_error(ErrorCode::invalid_argument, "invalid HTTP method for " + target);

  const bool sends_body =
      request.method != "HEAD" && (!request.body.empty() || method_carries_body(request.method));
  auto headers = build_header_list(request, sends_body, target);
  if (!headers) return std::move(headers).error();

  const CurlEasy handle(curl_easy_init());
  if (!handle) return make_error(ErrorCode::internal, "cannot create a curl handle");

  ResponseCapture capture;
  CurlOptions set(handle.get());
  set_transport_policy(set);
  set_connection_options(set, request.options);
  set_request_options(set, request, headers->get(), sends_body);
  set_capture(set, capture);
  if (set.result() != CURLE_OK)
    return make_error(ErrorCode::internal, "cannot configure HTTP request to " + target + ": " +
                                               curl_easy_strerror(set.result()));

  const CURLcode code = curl_easy_perform(handle.get());
  if (code != CURLE_OK) return transport_error(code, request, target);

  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  return HttpResponse{static_cast<int>(status), std::move(capture.headers),
                      std::move(capture.body)};
}

void CurlHttpClient::record_outcome(const Result<HttpResponse>& result) const {
  if (metrics_ == nullptr) return;
  const std::string outcome = result ? std::to_string(result->status) : "error";
  metrics_->counter_add(requests_metric, requests_metric_help, {{"outcome", outcome}}, 1);
}

}  // namespace signet::host
