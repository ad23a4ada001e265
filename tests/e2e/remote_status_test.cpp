// A CA that publishes its own CRL and OCSP (a remote CA, `publishes_status`):
// the host lists its URLs and sends relying parties there instead of
// serving anything of its own for it.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

TEST(RemoteStatus, RelyingPartiesAreSentToTheCasOwnCrlAndResponder) {
  TempDir dir;
  const std::string config = dir.write(
      "signet.yaml", host_config(dir, "plugins:\n"
                                      "  directories: [" SIGNET_TEST_SCRIPTED_DIR "]\n"
                                      "  ca:\n"
                                      "    remote:\n"
                                      "      plugin: ca-remote-status\n"
                                      "      config: {crl_url: 'http://crl.remote.example/ca.crl', ocsp_url: 'http://ocsp.remote.example'}\n"
                                      "pipelines:\n"
                                      "  issue: {validate: [profile-policy], sign: remote}\n"
                                      "revocation:\n"
                                      "  listen: 127.0.0.1:0\n"));
  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string base = host.status_url();

  auto cas = http("GET", base + "/pki/cas");
  ASSERT_TRUE(cas && cas.value().status == 200);
  const json item = json_of(cas.value())["items"][0];
  EXPECT_EQ(item.value("name", ""), "remote");
  EXPECT_EQ(item.value("crl_url", ""), "http://crl.remote.example/ca.crl");
  EXPECT_EQ(item.value("ocsp_url", ""), "http://ocsp.remote.example");

  auto crl = http("GET", base + "/pki/remote/crl");
  ASSERT_TRUE(crl);
  EXPECT_EQ(crl.value().status, 302);
  EXPECT_EQ(crl.value().header("location"), "http://crl.remote.example/ca.crl");
  const std::string request = dir.file("req.der");
  run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + dir.file("k.pem") +
              " -out " + dir.file("c.pem") + " -subj /CN=x -days 1 && openssl ocsp -issuer " + dir.file("c.pem") +
              " -serial 0x01 -no_nonce -reqout " + request);
  const auto ocsp = run_command("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --data-binary @" + request +
                                " -H 'Content-Type: application/ocsp-request' " + base + "/pki/remote/ocsp");
  EXPECT_EQ(ocsp.output, "307 http://ocsp.remote.example/");
}

}  // namespace
}  // namespace signet::test
