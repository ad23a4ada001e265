// The request and response types every handler sees.
#pragma once

#include <map>
#include <memory>
#include <vector>
#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "auth/credentials.hpp"
#include "auth/principal.hpp"
#include "rbac/roles.hpp"

namespace signet::host {

namespace http = boost::beast::http;
using HttpRequestMessage = http::request<http::string_body>;
using HttpResponseMessage = http::response<http::string_body>;

// What a WebSocket carries after its upgrade (GET /v1/events/ws): the
// route's handler makes one, the server calls poll() on the worker pool a
// few times a second and sends each message as a text frame.
class LiveChannel {
 public:
  virtual ~LiveChannel() = default;
  // The next messages, none when nothing changed; never throws.
  virtual std::vector<std::string> poll() = 0;
};

struct RequestContext {
  const HttpRequestMessage& message;
  std::string request_id;
  std::string remote;
  std::string path;                            // without the query string
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> params;   // from the route pattern
  std::optional<Principal> principal;          // set on authenticated routes
  Access access = Access::none;                // what the route's permission allows the principal
  const PeerCertificate* peer = nullptr;       // the connection's client certificate, if any
  std::string route = "";                      // the matched route's pattern ("/v1/certificates/{id}"); "" for none
  // Set by a handler that answers 101 Switching Protocols to a WebSocket upgrade.
  std::shared_ptr<LiveChannel> live = nullptr;

  std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
  // A query parameter, "" when absent.
  std::string query_value(const std::string& name) const {
    const auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

HttpResponseMessage json_response(http::status status, const nlohmann::json& body);
HttpResponseMessage text_response(http::status status, std::string body, const std::string& content_type);

}  // namespace signet::host
