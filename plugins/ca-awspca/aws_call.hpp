// One signed call to an AWS JSON 1.1 API (ACM-PCA: POST /, X-Amz-Target),
// and what came back: the JSON body, or AWS's error type and message
// (contract: Smithy awsJson, botocore's error parser).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>

#include "sigv4.hpp"

namespace signet::awspca {

struct AwsAnswer {
  int status = 0;
  nlohmann::json body;      // null when the body was empty or not JSON
  std::string error_type;   // "RequestInProgressException"; "" on success
  std::string error_message;
  std::string request_id;   // x-amzn-RequestId
  bool ok() const { return status >= 200 && status < 300; }
};

// The shape name of an error: `__type`, `code` or the X-Amzn-Errortype
// header, cut at the first ':' and after a '#' ("aws.protocols#Throttling:x").
std::string error_type_of(const std::string& raw);

// The parts of a call a caller chooses.
struct AwsEndpoint {
  std::string url;      // "https://acm-pca.eu-west-1.amazonaws.com" (no trailing slash)
  std::string region;   // the signing region
  std::string service;  // the signing name: "acm-pca"
  std::string ca_file;  // PEM bundle; "" for the system store
  std::string proxy;
  std::chrono::milliseconds timeout{10000};
};

// POSTs `body` to the endpoint as `<target_prefix>.<operation>`, signed
// with `credentials` at `now`. Transport failures are Error{unavailable or
// timeout}; any HTTP answer is an AwsAnswer.
Result<AwsAnswer> call_json(HttpClient& http, const AwsEndpoint& endpoint, const AwsCredentials& credentials,
                            const std::string& target, const nlohmann::json& body,
                            std::chrono::system_clock::time_point now);

// "host[:port]" of a URL, as the Host header (and so SigV4) carries it: a
// default port (443 for https, 80 for http) left out.
std::string authority_of(const std::string& url);

}  // namespace signet::awspca
