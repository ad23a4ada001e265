// Every configuration under examples/ runs as it is once the environment
// variables it names are set: `config check` accepts it, and a host serving
// it answers /ready. webhooks.yaml also delivers a signed event to a real
// receiver; postgres.yaml runs on a throwaway PostgreSQL server;
// hsm-softhsm2.yaml on a throwaway SoftHSM2 token, where its keys end up.
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "aws_double.hpp"
#include "servicenow_double.hpp"
#include "vault_double.hpp"
#include "e2e_helpers.hpp"
#include "postgres_server.hpp"
#include "softhsm_token.hpp"
#include "webhook_receiver.hpp"

namespace signet::test {
namespace {

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SIGNET_TEST_EXAMPLES_DIR))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

constexpr const char* kWebhookSecret = "an-example-webhook-secret";

// webhooks.yaml: an issued certificate reaches the receiver, signed.
void expect_signed_webhook(const TempDir& dir, const std::string& file, SignetProcess& host, const WebhookReceiver& receiver) {
  const std::string token = bootstrap_token(dir, file);
  ASSERT_FALSE(token.empty());
  const nlohmann::json body = {{"common_name", "www.example.com"}, {"sans", {{"dns", {"www.example.com"}}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), token, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued.value().status == 201) << (issued ? issued.value().body : issued.error().message);
  ASSERT_TRUE(receiver.wait_for("\"issued\"", 1, 15)) << host.log();
  const auto hook = receiver.received().front();
  const std::string signed_text = dir.write("hook.txt", hook.headers.at("x-signet-timestamp") + "." + hook.body);
  const auto mac = run_command("openssl dgst -sha256 -hmac '" + std::string(kWebhookSecret) + "' -r " + signed_text);
  EXPECT_EQ("sha256=" + mac.output.substr(0, 64), hook.headers.at("x-signet-signature"));
}

// postgres.yaml: a certificate whose key the host made, kept in store-postgres.
void expect_key_kept_in_postgres(const TempDir& dir, const std::string& file, SignetProcess& host) {
  const std::string token = bootstrap_token(dir, file);
  ASSERT_FALSE(token.empty());
  const nlohmann::json body = {{"common_name", "db.example.com"}, {"sans", {{"dns", {"db.example.com"}}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), token, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued.value().status == 201) << (issued ? issued.value().body : issued.error().message);
  const std::string id = json_of(issued.value()).value("id", "");
  auto bundle = http("GET", host.url() + "/v1/certificates/" + id + "/bundle", "", token, dir.file("data/ca.pem"));
  ASSERT_TRUE(bundle && bundle.value().status == 200);
  EXPECT_EQ(json_of(bundle.value())["private_key"], json_of(issued.value())["private_key"]);
}

// hsm-softhsm2.yaml: a certificate whose key the host made; the root, the
// issuing CA, the OCSP responder and the store's wrapping key on the token.
void expect_keys_on_the_token(const TempDir& dir, const std::string& file, SignetProcess& host,
                              const SoftHsmToken& token) {
  const std::string admin = bootstrap_token(dir, file);
  const nlohmann::json body = {{"common_name", "hsm.example.com"}, {"sans", {{"dns", {"hsm.example.com"}}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued.value().status == 201) << (issued ? issued.value().body : issued.error().message);
  const std::string keys = token.pkcs11_tool("--list-objects --type privkey").output;
  for (const char* label : {"internal-root-", "internal-issuing-", "ocsp-signer-internal-", "signet-store-master"})
    EXPECT_NE(keys.find("label:      " + std::string(label)), std::string::npos) << label << "\n" << keys;
}

// awspca.yaml: a certificate whose key the host made, issued by the AWS
// stand-in's CA (AWS itself is never reached), verifying up to its root.
void expect_issued_through_aws(const TempDir& dir, const std::string& file, SignetProcess& host, const AwsDouble& aws) {
  const std::string admin = bootstrap_token(dir, file);
  const nlohmann::json body = {{"common_name", "aws.example.com"}, {"sans", {{"dns", {"aws.example.com"}}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && (issued->status == 201 || issued->status == 202)) << (issued ? issued->body : issued.error().message);
  const std::string request_id = json_of(issued.value())["request_id"];
  const nlohmann::json request = wait_for_request(host.url(), request_id, admin, dir.file("data/ca.pem"), 30);
  ASSERT_EQ(request.value("status", ""), "succeeded") << request.dump();
  auto certificate = http("GET", host.url() + "/v1/certificates/" + request["certificate_id"].get<std::string>(), "", admin,
                          dir.file("data/ca.pem"));
  ASSERT_TRUE(certificate && certificate->status == 200);
  const auto c = json_of(*certificate);
  dir.write("aws-leaf.pem", c["certificate"].get<std::string>());
  dir.write("aws-chain.pem", c["chain"][0].get<std::string>());
  const auto verified = run_command("openssl verify -CAfile " + aws.root() + " -untrusted " + dir.file("aws-chain.pem") +
                                    " " + dir.file("aws-leaf.pem"));
  EXPECT_EQ(verified.status, 0) << verified.output;
}

// servicenow.yaml: a flow's request with its RITM, issued by the internal
// CA, written back to the stand-in's RITM (a real instance is not reachable).
void expect_written_back_to_servicenow(const TempDir& dir, const std::string& file, SignetProcess& host,
                                       const ServiceNowDouble& servicenow) {
  const std::string admin = bootstrap_token(dir, file);
  const nlohmann::json ritm = servicenow.table("POST", "/api/now/table/sc_req_item", {{"short_description", "cert"}})["result"];
  const nlohmann::json body = {{"common_name", "sn.example.com"}, {"sans", {{"dns", {"sn.example.com"}}}},
                               {"external_ref", {{"system", "servicenow"}, {"id", ritm["sys_id"]}, {"number", ritm["number"]}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued->status == 201) << (issued ? issued->body : issued.error().message);
  const std::string request_id = json_of(*issued)["request_id"];
  std::string correlation;
  for (int i = 0; i < 100 && correlation != request_id; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    correlation = servicenow.table("GET", "/api/now/table/sc_req_item/" + ritm["sys_id"].get<std::string>())["result"]
                      .value("correlation_id", "");
  }
  EXPECT_EQ(correlation, request_id) << host.log() << servicenow.log();
  EXPECT_EQ(servicenow.journal(ritm["sys_id"]).value("result", nlohmann::json::array()).size(), 1u);
  EXPECT_EQ(run_command("stat -c %a " + dir.file("data/keys.passphrase")).output, "600\n");
}

// vault.yaml: a certificate whose key the host made, delivered to the Vault
// stand-in's KV v2 (a real Vault is not reached) with its key, signed by an
// issuing CA whose key is in Transit.
void expect_delivered_to_vault(const TempDir& dir, const std::string& file, SignetProcess& host, const VaultDouble& vault) {
  const std::string admin = bootstrap_token(dir, file);
  const nlohmann::json body = {{"common_name", "app.example.com"}, {"sans", {{"dns", {"app.example.com"}}}}, {"service", "web"}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued->status == 201) << (issued ? issued->body : issued.error().message) << host.log();
  const nlohmann::json c = json_of(issued.value());
  auto secret = http("GET", vault.url() + "/v1/secret/data/certs/web/" + c["id"].get<std::string>(), "", vault.root_token());
  ASSERT_TRUE(secret && secret->status == 200) << (secret ? secret->body : "");
  const nlohmann::json fields = nlohmann::json::parse(secret->body)["data"]["data"];
  EXPECT_EQ(fields["certificate"], c["certificate"]);
  EXPECT_EQ(fields["private_key"], c["private_key"]);
  auto keys = http("LIST", vault.url() + "/v1/transit/keys", "", vault.root_token());
  ASSERT_TRUE(keys && keys->status == 200);
  EXPECT_EQ(nlohmann::json::parse(keys->body)["data"]["keys"].size(), 3u) << keys->body;  // root, issuing, OCSP signer
}

// keyfactor-command.yaml and ejbca.yaml: a certificate whose key the host
// made, from the Keyfactor stand-in the example names (neither product is
// reached), verifying against that stand-in's CA chain.
void expect_issued_through_keyfactor(const TempDir& dir, const std::string& file, SignetProcess& host, const std::string& chain) {
  const std::string admin = bootstrap_token(dir, file);
  const nlohmann::json body = {{"common_name", "kf.example.com"}, {"sans", {{"dns", {"kf.example.com"}}}}};
  auto issued = http("POST", host.url() + "/v1/certificates", body.dump(), admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued && issued->status == 201) << (issued ? issued->body : issued.error().message) << host.log();
  dir.write("kf-leaf.pem", json_of(*issued)["certificate"].get<std::string>());
  run_command("awk '/BEGIN/{n++} n==1' " + chain + " > " + dir.file("kf-issuing.pem") + "; awk '/BEGIN/{n++} n==2' " + chain +
              " > " + dir.file("kf-root.pem"));
  const auto verified = run_command("openssl verify -CAfile " + dir.file("kf-root.pem") + " -untrusted " +
                                    dir.file("kf-issuing.pem") + " " + dir.file("kf-leaf.pem"));
  EXPECT_EQ(verified.status, 0) << verified.output;
}

// A Keyfactor stand-in for the examples, in its own directory.
struct KeyfactorStandIn {
  TempDir dir;
  explicit KeyfactorStandIn(const std::string& script, const std::string& options) {
    run_command("/usr/bin/python3 " + std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/keyfactor/" + script + " --dir " +
                dir.path() + " " + options + " >/dev/null 2>" + dir.file("server.log") + " & echo $! > " + dir.file("pid"));
    for (int i = 0; i < 150 && trimmed(read_file(dir.file("port"))).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ~KeyfactorStandIn() { run_command("kill " + trimmed(read_file(dir.file("pid"))) + " 2>/dev/null"); }
  std::string url() const { return "https://127.0.0.1:" + trimmed(read_file(dir.file("port"))); }
};

TEST(Examples, EveryExampleChecksAndServes) {
  const auto files = example_files();
  ASSERT_GE(files.size(), 10u);
  PostgresServer postgres;  // for examples/postgres.yaml
  ASSERT_TRUE(postgres.started()) << postgres.log();
  SoftHsmToken hsm;  // for examples/hsm-softhsm2.yaml
  ASSERT_TRUE(hsm.ready()) << hsm.log();
  hsm.use_in_this_process();
  AwsDouble aws;  // for examples/awspca.yaml, reached the standard AWS way
  ASSERT_TRUE(aws.started()) << aws.log();
  ::setenv("SIGNET_AWSPCA_CA_ARN", aws.arn().c_str(), 1);
  ::unsetenv("SIGNET_AWSPCA_TEMPLATE");  // the example's default
  ::setenv("AWS_ENDPOINT_URL", aws.url().c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
  ::setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  ::setenv("SIGNET_PKCS11_MODULE", softhsm_module().c_str(), 1);
  ::setenv("SIGNET_HSM_TOKEN", hsm.label().c_str(), 1);
  ::setenv("SIGNET_HSM_PIN", hsm.pin().c_str(), 1);
  ServiceNowDouble servicenow;  // for examples/servicenow.yaml, with the stand-in's OAuth client
  ASSERT_TRUE(servicenow.started()) << servicenow.log();
  ::setenv("SERVICENOW_INSTANCE_URL", servicenow.url().c_str(), 1);
  ::setenv("SERVICENOW_CLIENT_ID", "signet-client", 1);
  ::setenv("SERVICENOW_CLIENT_SECRET", "signet-secret", 1);
  KeyfactorStandIn command("command_double.py", "--tls");  // for examples/keyfactor-command.yaml
  ASSERT_FALSE(trimmed(read_file(command.dir.file("port"))).empty()) << read_file(command.dir.file("server.log"));
  ::setenv("SIGNET_KEYFACTOR_URL", command.url().c_str(), 1);
  ::setenv("SIGNET_KEYFACTOR_USERNAME", "CORP\\signet", 1);
  ::setenv("SIGNET_KEYFACTOR_PASSWORD", "signet-password", 1);
  ::setenv("SIGNET_KEYFACTOR_CA", "ca.corp.example\\CorpIssuingCA", 1);
  ::setenv("SIGNET_KEYFACTOR_TEMPLATE", "WebServer", 1);
  ::setenv("SIGNET_KEYFACTOR_TRUST", command.dir.file("tls-ca.pem").c_str(), 1);
  KeyfactorStandIn ejbca("ejbca_double.py", "");  // for examples/ejbca.yaml
  ASSERT_FALSE(trimmed(read_file(ejbca.dir.file("port"))).empty()) << read_file(ejbca.dir.file("server.log"));
  ::setenv("SIGNET_EJBCA_URL", ejbca.url().c_str(), 1);
  ::setenv("SIGNET_EJBCA_CLIENT_CERT", ejbca.dir.file("client.pem").c_str(), 1);
  ::setenv("SIGNET_EJBCA_CLIENT_KEY", ejbca.dir.file("client.key").c_str(), 1);
  ::setenv("SIGNET_EJBCA_TRUST", ejbca.dir.file("tls-ca.pem").c_str(), 1);
  ::setenv("SIGNET_EJBCA_CA_NAME", "Signet Test CA", 1);
  ::setenv("SIGNET_EJBCA_CERT_PROFILE", "SERVER", 1);
  ::setenv("SIGNET_EJBCA_EE_PROFILE", "SIGNET_EE", 1);
  VaultDouble vault;  // for examples/vault.yaml, reached as Vault's own tools reach it
  ASSERT_TRUE(vault.started()) << vault.log();
  vault.control("POST", "/_double/policies", {{"name", "signet"}, {"policy", read_file(std::string(SIGNET_TEST_SOURCE_DIR) + "/docs/plugins/vault-policy.hcl")}});
  const nlohmann::json role = vault.control("POST", "/_double/approle", {{"name", "signet"}, {"token_policies", {"signet"}}});
  ::setenv("VAULT_ADDR", vault.url().c_str(), 1);
  ::setenv("VAULT_CACERT", "/etc/ssl/certs/ca-certificates.crt", 1);  // read, unused: the stand-in speaks http on loopback
  ::setenv("SIGNET_VAULT_ROLE_ID", role.value("role_id", "").c_str(), 1);
  ::setenv("SIGNET_VAULT_SECRET_ID", role.value("secret_id", "").c_str(), 1);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    TempDir dir;
    WebhookReceiver receiver;
    ::setenv("SIGNET_DATA_DIR", dir.file("data").c_str(), 1);
    ::setenv("SIGNET_LISTEN", "127.0.0.1:0", 1);
    ::setenv("SIGNET_WEBHOOK_URL", receiver.url().c_str(), 1);
    ::setenv("SIGNET_WEBHOOK_SECRET", kWebhookSecret, 1);
    ::setenv("SIGNET_KEYS_PASSPHRASE", "an example passphrase", 1);
    ::setenv("SIGNET_DATABASE_URL", postgres.create_database().c_str(), 1);
    const auto checked = run_signet(dir, "config check " + file);
    EXPECT_EQ(checked.status, 0) << checked.err;
    SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
    ASSERT_TRUE(host.started()) << host.log();
    auto ready = http("GET", host.url() + "/ready", "", "", dir.file("data/ca.pem"));
    ASSERT_TRUE(ready) << ready.error().message;
    EXPECT_EQ(ready.value().status, 200) << ready.value().body;
    if (file.ends_with("/webhooks.yaml")) expect_signed_webhook(dir, file, host, receiver);
    if (file.ends_with("/postgres.yaml")) expect_key_kept_in_postgres(dir, file, host);
    if (file.ends_with("/hsm-softhsm2.yaml")) expect_keys_on_the_token(dir, file, host, hsm);
    if (file.ends_with("/awspca.yaml")) expect_issued_through_aws(dir, file, host, aws);
    if (file.ends_with("/servicenow.yaml")) expect_written_back_to_servicenow(dir, file, host, servicenow);
    if (file.ends_with("/vault.yaml")) expect_delivered_to_vault(dir, file, host, vault);
    if (file.ends_with("/keyfactor-command.yaml")) expect_issued_through_keyfactor(dir, file, host, command.dir.file("ca-chain.pem"));
    if (file.ends_with("/ejbca.yaml")) expect_issued_through_keyfactor(dir, file, host, ejbca.dir.file("ca-chain.pem"));
    EXPECT_EQ(host.stop(), 0);
  }
}

}  // namespace
}  // namespace signet::test
