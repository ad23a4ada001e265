// The revocation listener's request-head reader: what it accepts, and the
// framing mistakes (two lengths, bad names, folded lines) it refuses.
#include "http/request_head.hpp"

#include <gtest/gtest.h>

namespace signet::host {
namespace {

TEST(RequestHead, ReadsAPostWithItsLengthAndHeaders) {
  const std::string text = "POST /pki/internal/ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                           "Content-Length: 83\r\nIf-None-Match: \"abc\"\r\n\r\nBODY";
  RequestHead head;
  ASSERT_EQ(parse_request_head(text, head), HeadStatus::complete);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/pki/internal/ocsp");
  EXPECT_EQ(head.minor_version, 1);
  EXPECT_EQ(head.content_length, 83U);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.if_none_match, "\"abc\"");
  EXPECT_EQ(head.header_count, 4U);
  EXPECT_EQ(head.size, text.size() - 4);
  EXPECT_EQ(head.headers[1].name, "Content-Type");
  EXPECT_EQ(head.headers[1].value, "application/ocsp-request");
}

TEST(RequestHead, WaitsForTheEmptyLine) {
  RequestHead head;
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\n", head), HeadStatus::incomplete);
  EXPECT_EQ(parse_request_head("", head), HeadStatus::incomplete);
}

TEST(RequestHead, KeepAliveFollowsTheVersionAndConnectionHeader) {
  RequestHead head;
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\n\r\n", head), HeadStatus::complete);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", head), HeadStatus::complete);
  EXPECT_TRUE(head.keep_alive);
  ASSERT_EQ(parse_request_head("GET / HTTP/1.1\r\nconnection: close\r\n\r\n", head), HeadStatus::complete);
  EXPECT_FALSE(head.keep_alive);
}

TEST(RequestHead, RefusesWhatCouldBeSmuggledOrIsNotHttp11) {
  RequestHead head;
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("GET / HTTP/2.0\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("GET nothing HTTP/1.1\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("G(T / HTTP/1.1\r\n\r\n", head), HeadStatus::malformed);
  EXPECT_EQ(parse_request_head("GET  / HTTP/1.1\r\n\r\n", head), HeadStatus::malformed);
  ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", head), HeadStatus::complete);
  EXPECT_TRUE(head.chunked);  // the server refuses it
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 40; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  EXPECT_EQ(parse_request_head(many + "\r\n", head), HeadStatus::too_many_headers);
}

}  // namespace
}  // namespace signet::host
