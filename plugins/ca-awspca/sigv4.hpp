// AWS Signature Version 4 (docs.aws.amazon.com/general/latest/gr/
// sigv4-create-canonical-request.html), for any service and method; checked
// against AWS's published aws-sig-v4-test-suite (tests/data) and vectors
// botocore computed. Pure functions on plain values: no I/O, no clock.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::awspca {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only
};

// A request as it goes on the wire.
struct HttpMessage {
  std::string method = "POST";
  std::string path = "/";  // as sent (raw or percent-encoded)
  std::string query;       // after '?', as sent; "" for none
  std::vector<std::pair<std::string, std::string>> headers;  // as sent; a name may repeat
  std::string body;
};

// Where a signature is valid: "20150830T123600Z", "us-east-1", "acm-pca".
struct SigningScope {
  std::string amz_date;
  std::string region;
  std::string service;
  std::string date() const { return amz_date.substr(0, 8); }
  std::string credential_scope() const { return date() + "/" + region + "/" + service + "/aws4_request"; }
};

std::string sha256_hex(std::string_view data);
// RFC 3986 unreserved characters as they are, every other octet %XX (upper
// hex): SigV4's URI encoding, also right for form bodies (STS).
std::string uri_encode(std::string_view text);

// The canonical request over the headers named in `signed_headers` (lower
// case), path normalised and each segment URI-encoded as for every service
// but S3.
std::string canonical_request(const HttpMessage& message, const std::vector<std::string>& signed_headers);
std::string string_to_sign(const std::string& canonical_request, const SigningScope& scope);
std::string signature(const std::string& secret_access_key, const SigningScope& scope, const std::string& string_to_sign);

// The lower-cased, sorted, distinct names of the message's headers.
std::vector<std::string> header_names(const HttpMessage& message);

// Signs `message` as the AWS SDKs do: adds X-Amz-Date and, for temporary
// credentials, X-Amz-Security-Token, then Authorization over every header
// present (so add Host, Content-Type and X-Amz-Target first).
void sign(HttpMessage& message, const AwsCredentials& credentials, const SigningScope& scope);

// "20150830T123600Z" for Unix seconds.
std::string amz_date(long long unix_seconds);

}  // namespace signet::awspca
