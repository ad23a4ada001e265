// The SigV4 signer against requests botocore signed (tests/data/
// sigv4-botocore/vectors.json, made by make_vectors.py beside it): JSON
// with spaces, Host with a port, a session token, a FIPS endpoint. The
// signer must give botocore's Authorization for the headers botocore signed.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sigv4.hpp"

namespace signet::awspca {
namespace {

nlohmann::json vectors() {
  std::ifstream in(SIGNET_SIGV4_BOTOCORE_VECTORS);
  return nlohmann::json::parse(in);
}

// "https://host:port/path" → "host:port", as botocore signs Host.
std::string authority_of(const std::string& url) {
  const auto start = url.find("://") + 3;
  return url.substr(start, url.find('/', start) - start);
}

TEST(SigV4Botocore, GivesBotocoresSignatureForEveryVector) {
  const auto all = vectors();
  ASSERT_FALSE(all["vectors"].empty());
  for (const auto& v : all["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    HttpMessage message{"POST", "/", "", {{"Host", authority_of(v["url"])}}, v["body"]};
    std::string amz_date;
    for (const auto& header : v["headers"]) {
      const std::string name = header[0];
      if (name == "X-Amz-Date") amz_date = header[1];
      if (name == "Content-Type" || name == "X-Amz-Target") message.headers.emplace_back(name, header[1]);
    }
    const AwsCredentials credentials{v["access_key_id"], v["secret_access_key"], v["session_token"]};
    sign(message, credentials, {amz_date, v["region"], v["service"]});
    EXPECT_EQ(message.headers.back().second, v["authorization"].get<std::string>());
  }
}

}  // namespace
}  // namespace signet::awspca
