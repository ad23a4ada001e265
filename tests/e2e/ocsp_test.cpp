// The OCSP responder through the real binary, checked with `openssl ocsp`
// and GnuTLS `ocsptool`: good, then revoked with the reason and time the
// API recorded; unknown serials, foreign issuers and garbage get the OCSP
// answers RFC 6960 gives them; GET answers carry RFC 5019 caching headers;
// half-open and stalled connections do not wedge the responder.
#include <chrono>
#include <ctime>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

class Ocsp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { host_ = new DevHost(); }
  static void TearDownTestSuite() { delete host_; }
  void SetUp() override { ASSERT_TRUE(host_->started()) << host_->log(); }

  static json issue(const std::string& name) { return host_->issue(name); }
  static std::string responder() { return host_->process().status_url() + "/pki/internal/ocsp"; }
  static std::string issuing_file() {
    return host_->dir().write("issuing.pem", http("GET", host_->process().status_url() + "/pki/internal/chain.pem").value().body);
  }
  // Root and issuing CA: what a relying party trusts to check the delegated responder.
  static std::string trust_file() {
    return host_->dir().write("trust.pem", read_file(host_->ca_file()) + read_file(issuing_file()));
  }
  static std::string openssl_ocsp(const std::string& cert_file, const std::string& extra = "") {
    return run_command("openssl ocsp -issuer " + issuing_file() + " -cert " + cert_file + " -url " + responder() +
                       " -CAfile " + trust_file() + " " + extra).output;
  }
  // POSTs a DER file with curl; the raw OCSPResponse comes back.
  static std::string post_der(const std::string& url, const std::string& der_file) {
    const std::string out = host_->dir().file("posted.der");
    const auto status = run_command("curl -s -o " + out + " -w '%{http_code}' -H 'Content-Type: application/ocsp-request' "
                                    "--data-binary @" + der_file + " " + url);
    EXPECT_EQ(status.output, "200");
    return read_file(out);
  }
  static std::string openssl_date(const std::string& rfc3339) {
    std::tm tm{};
    strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    char text[64];
    std::strftime(text, sizeof text, "%b %e %H:%M:%S %Y GMT", &tm);
    return text;
  }

  static DevHost* host_;
};
DevHost* Ocsp::host_ = nullptr;

TEST_F(Ocsp, GoodThenRevokedWithTheReasonAndTimeTheApiRecorded) {
  const json cert = issue("ocsp-cycle.test");
  const std::string file = host_->dir().write("cycle.pem", cert.value("certificate", ""));
  const std::string good = openssl_ocsp(file);
  EXPECT_NE(good.find("Response verify OK"), std::string::npos) << good;
  EXPECT_NE(good.find(file + ": good"), std::string::npos) << good;
  EXPECT_NE(good.find("Next Update:"), std::string::npos) << good;

  auto revoked = http("POST", host_->url() + "/v1/certificates/" + cert.value("id", "") + "/revoke",
                      R"({"reason": "key_compromise"})", host_->admin_token(), host_->ca_file());
  ASSERT_TRUE(revoked && revoked.value().status == 200) << (revoked ? revoked.value().body : "");
  auto record = http("GET", host_->url() + "/v1/certificates/" + cert.value("id", ""), "", host_->admin_token(), host_->ca_file());
  const std::string revoked_at = json_of(record.value()).value("revoked_at", "");
  ASSERT_FALSE(revoked_at.empty());
  // Visible after the responder's next poll; the wait is bounded, its length is measured in bench/.
  std::string answer;
  for (int i = 0; i < 50 && answer.find(": revoked") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    answer = openssl_ocsp(file);
  }
  EXPECT_NE(answer.find("Response verify OK"), std::string::npos) << answer;
  EXPECT_NE(answer.find(file + ": revoked"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Reason: keyCompromise"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Revocation Time: " + openssl_date(revoked_at)), std::string::npos) << answer << revoked_at;

  // GnuTLS asks the responder named in the certificate's AIA and checks the
  // answer's signature against the issuing CA it trusts (it prints no reason).
  const auto gnutls = run_command("ocsptool --ask --load-issuer " + issuing_file() + " --load-cert " + file +
                                  " --load-trust " + trust_file());
  EXPECT_NE(gnutls.output.find("Certificate Status: revoked"), std::string::npos) << gnutls.output;
  EXPECT_NE(gnutls.output.find("Revocation time: "), std::string::npos) << gnutls.output;
  EXPECT_NE(gnutls.output.find("Verifying OCSP Response: Success"), std::string::npos) << gnutls.output;
}

// signet_ocsp_signatures_total{why="<why>"} from /metrics, 0 when absent.
double signatures(DevHost& host, const std::string& why) {
  const std::string text = http("GET", host.url() + "/metrics", "", "", host.ca_file()).value().body;
  const std::string name = "signet_ocsp_signatures_total{why=\"" + why + "\"} ";
  const std::size_t at = text.find(name);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + name.size()));
}

TEST_F(Ocsp, NewCertificatesAreAnsweredBeforeAnyoneAsks) {
  const double presigned = signatures(*host_, "presign");
  const std::string file = host_->dir().write("presign.pem", issue("ocsp-presign.test").value("certificate", ""));
  for (int i = 0; i < 50 && signatures(*host_, "presign") == presigned; ++i) std::this_thread::sleep_for(milliseconds(100));
  ASSERT_GT(signatures(*host_, "presign"), presigned) << host_->log();
  const double on_request = signatures(*host_, "request");
  const std::string answer = openssl_ocsp(file, "-no_nonce");
  EXPECT_NE(answer.find(file + ": good"), std::string::npos) << answer;
  EXPECT_EQ(signatures(*host_, "request"), on_request) << "the answer was signed before it was asked for";
}

TEST_F(Ocsp, GnuTlsSeesAGoodCertificateAsGood) {
  const std::string file = host_->dir().write("gnutls-good.pem", issue("ocsp-gnutls.test").value("certificate", ""));
  const auto gnutls = run_command("ocsptool --ask --load-issuer " + issuing_file() + " --load-cert " + file +
                                  " --load-trust " + trust_file());
  EXPECT_EQ(gnutls.status, 0) << gnutls.output;
  EXPECT_NE(gnutls.output.find("Certificate Status: good"), std::string::npos) << gnutls.output;
  EXPECT_NE(gnutls.output.find("Verifying OCSP Response: Success"), std::string::npos) << gnutls.output;
}

TEST_F(Ocsp, TheResponderIsADelegatedOcspSignerWithNoCheck) {
  const std::string file = host_->dir().write("delegated.pem", issue("ocsp-delegated.test").value("certificate", ""));
  const std::string response = host_->dir().file("delegated-resp.der");
  openssl_ocsp(file, "-respout " + response);
  const std::string text = run_command("openssl ocsp -respin " + response + " -resp_text -noverify").output;
  EXPECT_NE(text.find("Responder Id: "), std::string::npos) << text;  // byKey: a hash, not a name
  EXPECT_EQ(text.find("Responder Id: C ="), std::string::npos) << text;
  EXPECT_NE(text.find("OCSP Signing"), std::string::npos) << text;
  EXPECT_NE(text.find("OCSP No Check"), std::string::npos) << text;
}

TEST_F(Ocsp, UnknownSerialsForeignIssuersAndGarbageGetOcspErrors) {
  // A serial this CA never issued.
  const std::string unknown = run_command("openssl ocsp -issuer " + issuing_file() + " -serial 0x0badc0ffee -url " +
                                          responder() + " -CAfile " + trust_file()).output;
  EXPECT_NE(unknown.find("0x0badc0ffee: unknown"), std::string::npos) << unknown;

  // An issuer the responder does not answer for: unauthorized (RFC 5019 §2.2.3).
  const std::string foreign_key = host_->dir().file("foreign.key"), foreign = host_->dir().file("foreign.pem");
  run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + foreign_key + " -out " +
              foreign + " -subj /CN=Foreign -days 1");
  const std::string request = host_->dir().file("foreign-req.der");
  run_command("openssl ocsp -issuer " + foreign + " -serial 0x01 -no_nonce -reqout " + request);
  EXPECT_EQ(post_der(responder(), request), std::string("\x30\x03\x0a\x01\x06", 5));
  // A CA name the host does not have.
  EXPECT_EQ(post_der(host_->process().status_url() + "/pki/nope/ocsp", request), std::string("\x30\x03\x0a\x01\x06", 5));
  // Not a request at all: malformedRequest.
  const std::string garbage = host_->dir().write("garbage.der", std::string("\x30\x05\x02\x01\x01\xff\xff", 7));
  EXPECT_EQ(post_der(responder(), garbage), std::string("\x30\x03\x0a\x01\x01", 5));
  const std::string empty = host_->dir().write("empty.der", "");
  EXPECT_EQ(post_der(responder(), empty), std::string("\x30\x03\x0a\x01\x01", 5));
  auto get = http("GET", responder() + "/not-base64!!");
  ASSERT_TRUE(get);
  EXPECT_EQ(get.value().status, 200);
  EXPECT_EQ(get.value().body, std::string("\x30\x03\x0a\x01\x01", 5));
}

TEST_F(Ocsp, GetAnswersCarryCachingHeadersAndNoncesGetFreshAnswers) {
  const std::string file = host_->dir().write("get.pem", issue("ocsp-get.test").value("certificate", ""));
  const std::string request = host_->dir().file("get-req.der");
  run_command("openssl ocsp -issuer " + issuing_file() + " -cert " + file + " -no_nonce -reqout " + request);
  // Standard base64 with '/' and '+' percent-encoded, as RFC 6960 Appendix A.1 asks.
  std::string b64 = trimmed(run_command("openssl base64 -A -in " + request).output), encoded;
  for (char c : b64) encoded += c == '/' ? "%2F" : c == '+' ? "%2B" : c == '=' ? "%3D" : std::string(1, c);
  auto first = http("GET", responder() + "/" + encoded);
  ASSERT_TRUE(first);
  ASSERT_EQ(first.value().status, 200);
  EXPECT_EQ(first.value().header("content-type"), "application/ocsp-response");
  const std::string etag = first.value().header("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_FALSE(first.value().header("last-modified").empty());
  EXPECT_FALSE(first.value().header("expires").empty());
  EXPECT_NE(first.value().header("cache-control").find("max-age="), std::string::npos);
  EXPECT_NE(first.value().header("cache-control").find("public"), std::string::npos);
  // The same request again is the same cached answer.
  auto second = http("GET", responder() + "/" + encoded);
  EXPECT_EQ(second.value().body, first.value().body);
  const auto revalidated = run_command("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + etag + "' " +
                                       responder() + "/" + encoded);
  EXPECT_EQ(revalidated.output, "304");
  // The answer read back by OpenSSL: good, and signed by the delegated responder.
  const std::string response = host_->dir().write("get-resp.der", first.value().body);
  const std::string text = run_command("openssl ocsp -respin " + response + " -issuer " + issuing_file() + " -cert " +
                                       file + " -CAfile " + trust_file()).output;
  EXPECT_NE(text.find(": good"), std::string::npos) << text;
  EXPECT_NE(text.find("Response verify OK"), std::string::npos) << text;

  // With a nonce (openssl adds one unless told not to), the answer echoes it: made for that request alone.
  const std::string with_nonce = openssl_ocsp(file);
  EXPECT_EQ(with_nonce.find("WARNING: no nonce"), std::string::npos) << with_nonce;
  EXPECT_EQ(with_nonce.find("nonce verify error"), std::string::npos) << with_nonce;
  const std::string nonce_request = host_->dir().file("nonce-req.der");
  run_command("openssl ocsp -issuer " + issuing_file() + " -cert " + file + " -reqout " + nonce_request);
  const auto headers = run_command("curl -s -D - -o /dev/null -H 'Content-Type: application/ocsp-request' --data-binary @" +
                                   nonce_request + " " + responder());
  EXPECT_NE(headers.output.find("no-store"), std::string::npos) << headers.output;
}

TEST_F(Ocsp, TheRevocationListenerRefusesWhatIsNotHttp11) {
  const std::string base = host_->process().status_url();
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  const auto status_of = [port](const std::string& request) {
    const auto r = raw_exchange(port, request, milliseconds(3000));
    return r.received.substr(0, r.received.find("\r\n"));
  };
  EXPECT_EQ(status_of("NOT HTTP AT ALL\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_of("POST /pki/internal/ocsp HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_of("POST /pki/internal/ocsp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_of("GET /pki/internal/crl HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"),
            "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(status_of("POST /pki/internal/ocsp HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            "HTTP/1.1 413 Payload Too Large");
  // Two requests in one write are both answered, in order.
  const auto both = raw_exchange(port, "GET /pki/cas HTTP/1.1\r\nHost: x\r\n\r\nGET /pki/nope/crl HTTP/1.1\r\nHost: x\r\n"
                                       "Connection: close\r\n\r\n", milliseconds(3000));
  const std::size_t first = both.received.find("HTTP/1.1 200 OK"), second = both.received.find("HTTP/1.1 404 Not Found");
  EXPECT_NE(first, std::string::npos) << both.received;
  EXPECT_NE(second, std::string::npos) << both.received;
  EXPECT_LT(first, second);
  EXPECT_TRUE(both.closed_by_peer);
}

TEST_F(Ocsp, HalfOpenAndStalledConnectionsDoNotWedgeTheResponder) {
  const std::string base = host_->process().status_url();
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  // Connections that close without a request (wrong for `openssl ocsp`), and
  // ones that stall half-way through their headers, in parallel.
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i)
    clients.emplace_back([port, i] {
      raw_exchange(port, i % 2 ? "" : "POST /pki/internal/ocsp HTTP/1.1\r\nHost: x\r\nContent-Le", milliseconds(300));
    });
  const std::string file = host_->dir().write("wedge.pem", issue("ocsp-wedge.test").value("certificate", ""));
  const std::string answer = openssl_ocsp(file, "-timeout 5");
  for (auto& t : clients) t.join();
  EXPECT_NE(answer.find(file + ": good"), std::string::npos) << answer;
}

// A responder certificate valid for 8 s is replaced once 5 s are left:
// answers then carry the new key, and still verify.
TEST(OcspSigner, IsRenewedBeforeItExpires) {
  TempDir dir;
  const std::string config = dir.write(
      "signet.yaml",
      host_config(dir, internal_ca_plugins(dir, "        bootstrap: true\n"
                                                "        root: {common_name: Corp Root, key: {type: ecdsa}}\n"
                                                "        issuing: {common_name: Corp Issuing, key: {type: ecdsa}}\n") +
                       "pipelines:\n"
                       "  issue: {validate: [profile-policy], sign: corp}\n"
                       "revocation:\n"
                       "  listen: 127.0.0.1:0\n"
                       "  ocsp: {validity: 2s, refresh_before: 1s, max_age: 1s, signer_validity: 8s, signer_renew_before: 5s}\n"));
  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string issuing = dir.write("issuing.pem", http("GET", host.status_url() + "/pki/corp/chain.pem").value().body);
  const auto ask = [&] {
    return run_command("openssl ocsp -issuer " + issuing + " -serial 0x0102 -no_nonce -url " + host.status_url() +
                       "/pki/corp/ocsp -CAfile " + dir.file("data/ca/chain.pem") + " -resp_text").output;
  };
  const auto responder_of = [](const std::string& text) {
    const std::size_t at = text.find("Responder Id: ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  const std::string first = ask();
  ASSERT_FALSE(responder_of(first).empty()) << first;
  EXPECT_NE(first.find("Response verify OK"), std::string::npos) << first;
  std::string later = first;
  for (int i = 0; i < 60 && responder_of(later) == responder_of(first); ++i) {
    std::this_thread::sleep_for(milliseconds(250));
    later = ask();
  }
  EXPECT_NE(responder_of(later), responder_of(first)) << later << host.log();
  EXPECT_NE(later.find("Response verify OK"), std::string::npos) << later;
  EXPECT_NE(later.find("0x0102: unknown"), std::string::npos) << later;
  // Each new responder key is in the audit log, and the chain still verifies.
  const auto actions = query_database(dir, dir.file("data/signet.db"),
                                      "SELECT action FROM audit_log WHERE object = 'corp' AND action LIKE 'ocsp.%' ORDER BY seq");
  EXPECT_EQ(actions.output.rfind("ocsp.signer_create\nocsp.signer_renew\n", 0), 0U) << actions.output;
  const auto verified = run_signet(dir, "audit verify --config " + config);
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace signet::test
