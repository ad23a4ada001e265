// The SigV4 signer against AWS's own aws-sig-v4-test-suite (every case, in
// tests/data/aws-sig-v4-test-suite): the canonical request, the string to
// sign and the Authorization header must match the suite byte for byte.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sigv4.hpp"

namespace signet::awspca {
namespace {

namespace fs = std::filesystem;
const fs::path kSuite = SIGNET_SIGV4_SUITE_DIR;
const AwsCredentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigningScope kScope{"20150830T123600Z", "us-east-1", "service"};

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A .req file: "METHOD PATH[?QUERY] HTTP/1.1", "Name:value" lines (a line
// that starts with a blank continues the value before), a blank line, the body.
HttpMessage parse_request(const std::string& text) {
  HttpMessage message;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto first = line.find(' '), last = line.rfind(' ');
  message.method = line.substr(0, first);
  const std::string target = line.substr(first + 1, last - first - 1);
  const auto question = target.find('?');
  message.path = target.substr(0, question);
  if (question != std::string::npos) message.query = target.substr(question + 1);
  while (std::getline(in, line) && !line.empty()) {
    if ((line[0] == ' ' || line[0] == '\t') && !message.headers.empty()) {
      message.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    message.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << in.rdbuf();
  message.body = body.str();
  return message;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(kSuite))
    if (entry.path().extension() == ".req") found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  return found;
}

TEST(SigV4Suite, EveryCaseOfTheOfficialSuite) {
  const auto all = cases();
  ASSERT_GE(all.size(), 30u) << "the suite is missing from " << kSuite;
  for (const auto& request : all) {
    SCOPED_TRACE(request.stem().string());
    auto file = [&](const char* extension) { return read(fs::path(request).replace_extension(extension)); };
    const HttpMessage message = parse_request(read(request));
    const auto names = header_names(message);
    const std::string canonical = canonical_request(message, names);
    EXPECT_EQ(canonical, file(".creq"));
    const std::string to_sign = string_to_sign(canonical, kScope);
    EXPECT_EQ(to_sign, file(".sts"));
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ";") + name;
    EXPECT_EQ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" + list +
                  ", Signature=" + signature(kCredentials.secret_access_key, kScope, to_sign),
              file(".authz"));
  }
}

// sign() as the plugin uses it: it adds X-Amz-Date and the token itself.
TEST(SigV4Suite, SignAddsDateTokenAndAuthorization) {
  HttpMessage message{"POST", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
  AwsCredentials temporary = kCredentials;
  // The suite's example token is the last word of its readme.
  const std::string readme = read(kSuite / "post-sts-token/readme.txt");
  temporary.session_token = readme.substr(readme.find_last_of(" \n") + 1);
  sign(message, temporary, kScope);
  ASSERT_EQ(message.headers.back().first, "Authorization");
  EXPECT_EQ(message.headers.back().second, read(kSuite / "post-sts-token/post-sts-header-before/post-sts-header-before.authz"));
}

TEST(SigV4, AmzDateIsUtc) { EXPECT_EQ(amz_date(1440938160), "20150830T123600Z"); }

}  // namespace
}  // namespace signet::awspca
