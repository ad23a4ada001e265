// signet agent against the real host with a controlled clock: it installs
// its certificate, picks up a renewal the scheduler made, renews over
// mutual TLS with a key it makes itself, runs its reload command after each
// change and only then, and, as a daemon, follows renewals until SIGTERM.
// OpenSSL's command line checks the files it writes. Also `signet renew
// --due`, the command-line form of POST /v1/renewals/run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

// `signet agent` running as a daemon beside the test. stop() sends SIGTERM
// (timeout, its parent, passes it on) and waits for the exit; leaving the
// test any other way stops it too, so a failed assertion cannot leave a
// joinable thread behind.
class BackgroundAgent {
 public:
  BackgroundAgent(const std::string& command, std::string pid_file)
      : pid_file_(std::move(pid_file)), runner_([this, command] {
          result_ = run_command("sh -c 'echo $$ > " + pid_file_ + "; exec timeout --preserve-status 60 " + command +
                                "' 2>&1");
        }) {}
  BackgroundAgent(const BackgroundAgent&) = delete;
  BackgroundAgent& operator=(const BackgroundAgent&) = delete;
  ~BackgroundAgent() { stop(); }

  const CommandResult& stop() {
    if (!runner_.joinable()) return result_;
    std::string pid;
    for (int i = 0; i < 50 && pid.empty(); ++i) {
      pid = trimmed(read_file(pid_file_));
      if (pid.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!pid.empty()) ::kill(std::stoi(pid), SIGTERM);
    runner_.join();
    return result_;
  }

 private:
  std::string pid_file_;
  CommandResult result_{-1, ""};
  std::thread runner_;
};

class Agent : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(host_.started()) << host_.log(); }

  json call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host_.url() + path, body.is_null() ? "" : body.dump(), host_.admin_token(), host_.ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return json::object();
    json out = json_of(r.value());
    out["_status"] = r.value().status;
    return out;
  }

  // A 3-hour certificate of service `web`, its identity spiffe://default/web.
  std::string issue(const json& extra = json::object()) {
    json body = {{"common_name", "web.test"},
                 {"ttl", "3h"},
                 {"service", "web"},
                 {"sans", {{"dns", {"web.test"}}, {"uri", {"spiffe://default/web"}}}},
                 {"key", {{"type", "ecdsa"}}}};
    body.update(extra);
    if (body.contains("csr")) body.erase("key");
    const json issued = call("POST", "/v1/certificates", body);
    EXPECT_EQ(issued["_status"], 201) << issued.dump();
    return issued.value("id", "");
  }

  // Two hours of the three gone, the certificate is due, and the host
  // renews it. Whose round does it does not matter: the advance's own round
  // does when the wall clock plus two hours passes the 02:00 UTC renewal
  // schedule, the explicit run otherwise. Returns the successor's id.
  std::string renewed_by_the_host(const std::string& id) {
    EXPECT_EQ(call("POST", "/v1/test/clock", {{"advance", "2h1m"}})["_status"], 200);
    const json run = call("POST", "/v1/renewals/run");
    EXPECT_EQ(run["_status"], 200) << run.dump();
    EXPECT_TRUE(run["failed"].empty()) << run.dump();
    const json after = call("GET", "/v1/certificates/" + id);
    EXPECT_TRUE(after["renewed_by"].is_string()) << after.dump() << run.dump();
    return after["renewed_by"].is_string() ? after["renewed_by"].get<std::string>() : "";
  }

  std::string out() const { return host_.dir().file("out"); }
  std::string reloads() const { return host_.dir().file("reloads"); }

  // One pass; `flags` may add --token, --renew-before, ...
  SignetRun agent_once(const std::string& id, const std::string& flags = "") {
    return run_signet(host_.dir(), "agent --once --cert " + id + " --out " + out() + " --addr " + host_.url() +
                                       " --cacert " + host_.ca_file() + " --exec 'echo $SIGNET_CERT_SERIAL >> " +
                                       reloads() + "' " + flags);
  }

  std::string serial_on_disk() {
    const auto r = run_command("openssl x509 -in " + out() + "/server.crt -noout -serial");
    const std::string text = trimmed(r.output);
    std::string hex = text.substr(text.find('=') + 1);
    for (auto& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return hex;
  }

  // The files belong together: the key is the certificate's, the chain
  // verifies it (at any time: the test clock runs ahead), the key is 0600.
  void expect_consistent_files() {
    const auto cert_key = run_command("openssl x509 -in " + out() + "/server.crt -noout -pubkey");
    const auto file_key = run_command("openssl pkey -in " + out() + "/server.key -pubout");
    EXPECT_EQ(cert_key.status, 0);
    EXPECT_EQ(cert_key.output, file_key.output);
    const auto verified =
        run_command("openssl verify -no_check_time -CAfile " + out() + "/ca-chain.crt " + out() + "/server.crt");
    EXPECT_EQ(verified.status, 0) << verified.output;
    struct stat st {};
    ASSERT_EQ(::stat((out() + "/server.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::ifstream(out() + "/server.key.pending").good());
  }

  std::vector<std::string> reload_log() { return lines_of(read_file(reloads())); }

  DevHost host_{{"--test-clock"}};
};

TEST_F(Agent, InstallsPicksUpRenewalsRenewsOverMtlsAndReloadsOnlyOnChange) {
  const std::string id = issue();
  ASSERT_FALSE(id.empty());

  // No files and no token: nothing to authenticate with.
  const SignetRun lost = agent_once(id);
  EXPECT_EQ(lost.status, 1);
  EXPECT_NE(lost.err.find("give --token"), std::string::npos) << lost.err;

  // First pass with the token: the host's key, the certificate, its chain.
  const SignetRun first = agent_once(id, "--token " + host_.admin_token());
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string first_serial = call("GET", "/v1/certificates/" + id).value("serial", "");
  EXPECT_EQ(serial_on_disk(), first_serial);
  expect_consistent_files();
  EXPECT_EQ(reload_log(), std::vector<std::string>{first_serial});

  // Nothing new: nothing written, no reload. From now on no token: mTLS.
  const SignetRun idle = agent_once(id);
  EXPECT_EQ(idle.status, 0) << idle.err;
  EXPECT_EQ(reload_log().size(), 1u);

  // The scheduler renews it at two thirds of its life (a fresh key the
  // host holds); the agent installs that one.
  const std::string second_id = renewed_by_the_host(id);
  ASSERT_FALSE(second_id.empty());
  EXPECT_EQ(call("GET", "/v1/certificates/" + id + "/current").value("id", ""), second_id);
  const SignetRun picked = agent_once(id);
  ASSERT_EQ(picked.status, 0) << picked.err;
  const std::string second_serial = call("GET", "/v1/certificates/" + second_id).value("serial", "");
  EXPECT_EQ(serial_on_disk(), second_serial);
  expect_consistent_files();
  EXPECT_EQ(reload_log(), (std::vector<std::string>{first_serial, second_serial}));

  // Due by the agent's own rule: it makes a key, sends a CSR over mTLS
  // with the certificate it holds (valid from the host's clock only).
  const std::string key_before = read_file(out() + "/server.key");
  const SignetRun renewed = agent_once(id, "--renew-before 4h");
  ASSERT_EQ(renewed.status, 0) << renewed.err;
  const json third = call("GET", "/v1/certificates/" + id + "/current");
  EXPECT_EQ(third["renews"], second_id);
  EXPECT_EQ(third["service"], "web");
  EXPECT_TRUE(third["sans"]["uri"] == json::array({"spiffe://default/web"})) << third.dump();
  EXPECT_EQ(serial_on_disk(), third.value("serial", ""));
  EXPECT_NE(read_file(out() + "/server.key"), key_before);
  expect_consistent_files();
  EXPECT_EQ(reload_log().size(), 3u);
  // The host never had that key: its bundle holds none.
  EXPECT_TRUE(call("GET", "/v1/certificates/" + third.value("id", "") + "/bundle")["private_key"].is_null());
  // The renewal was the application's own, not the admin's.
  const json audit = call("GET", "/v1/audit?action=certificate.renew&principal=spiffe://default/web");
  ASSERT_EQ(audit["items"].size(), 1u) << audit.dump();
  EXPECT_EQ(audit["items"][0]["object"], third["id"]) << audit.dump();
}

// The agent's rule, like the host's, counts the life asked for from
// issuance, not from the CA's notBefore 60 s earlier: a 30 s certificate is
// installed and left alone, and renewed once two thirds have passed.
TEST_F(Agent, AShortLivedCertificateIsNotRenewedTheMomentItIsInstalled) {
  const std::string id = issue({{"ttl", "30s"}});
  ASSERT_FALSE(id.empty());
  const SignetRun first = agent_once(id, "--token " + host_.admin_token());
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(serial_on_disk(), call("GET", "/v1/certificates/" + id).value("serial", ""));
  EXPECT_TRUE(call("GET", "/v1/certificates/" + id)["renewed_by"].is_null()) << first.out;
  EXPECT_EQ(reload_log().size(), 1u);
  EXPECT_EQ(call("POST", "/v1/test/clock", {{"advance", "21s"}})["_status"], 200);
  const SignetRun due = agent_once(id);
  ASSERT_EQ(due.status, 0) << due.err;
  const json after = call("GET", "/v1/certificates/" + id);
  ASSERT_TRUE(after["renewed_by"].is_string()) << after.dump() << due.out << due.err;
  EXPECT_EQ(serial_on_disk(), call("GET", "/v1/certificates/" + id + "/current").value("serial", ""));
}

TEST_F(Agent, FindsTheKeyOfACertificateTheHostNeverHeldOrRenewsIt) {
  // A CSR made elsewhere: the host holds no key for it.
  const std::string key = host_.dir().file("own.key");
  ASSERT_EQ(run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key).status, 0);
  const auto csr = run_command("openssl req -new -key " + key +
                               " -subj /CN=web.test -addext "
                               "'subjectAltName=DNS:web.test,URI:spiffe://default/web' 2>/dev/null");
  const std::string id = issue({{"csr", csr.output}});
  ASSERT_FALSE(id.empty());

  // The key is on disk as the pending key of an earlier pass (a crash
  // between the request and the install): the agent installs with it.
  ASSERT_EQ(
      run_command("mkdir -m 700 " + out() + " && install -m 600 " + key + " " + out() + "/server.key.pending").status,
      0);
  const SignetRun found = agent_once(id, "--token " + host_.admin_token());
  ASSERT_EQ(found.status, 0) << found.err;
  EXPECT_EQ(serial_on_disk(), call("GET", "/v1/certificates/" + id).value("serial", ""));
  EXPECT_EQ(read_file(out() + "/server.key"), read_file(key));
  expect_consistent_files();

  // With no key anywhere, the agent renews the certificate with its own.
  const std::string id2 = issue({{"csr", csr.output}});
  ASSERT_EQ(run_command("rm -rf " + out()).status, 0);
  const SignetRun renewed = agent_once(id2, "--token " + host_.admin_token());
  ASSERT_EQ(renewed.status, 0) << renewed.err;
  const json current = call("GET", "/v1/certificates/" + id2 + "/current");
  EXPECT_EQ(current["renews"], id2);
  EXPECT_EQ(serial_on_disk(), current.value("serial", ""));
  expect_consistent_files();
}

TEST_F(Agent, RefusesARevokedCertificateAndABadCommand) {
  const std::string id = issue();
  ASSERT_EQ(agent_once(id, "--token " + host_.admin_token()).status, 0);
  // A reload command that fails: the files are in place, the exit says so.
  const SignetRun failing =
      run_signet(host_.dir(), "agent --once --cert " + id + " --out " + out() + " --addr " + host_.url() +
                                  " --cacert " + host_.ca_file() + " --renew-before 4h --exec 'exit 3'");
  EXPECT_EQ(failing.status, 1);
  EXPECT_NE(failing.err.find("exited with status 3"), std::string::npos) << failing.err;
  expect_consistent_files();
  const std::string current = call("GET", "/v1/certificates/" + id + "/current").value("id", "");
  ASSERT_EQ(call("POST", "/v1/certificates/" + current + "/revoke", {{"reason", "key_compromise"}})["_status"], 200);
  const SignetRun revoked = agent_once(id, "--token " + host_.admin_token());
  EXPECT_EQ(revoked.status, 1);
  EXPECT_NE(revoked.err.find("is revoked (key_compromise)"), std::string::npos) << revoked.err;
  // Usage errors are exit 2 with the usage.
  const SignetRun usage = run_signet(host_.dir(), "agent --cert " + id);
  EXPECT_EQ(usage.status, 2);
  EXPECT_NE(usage.err.find("usage: signet agent"), std::string::npos);
}

TEST_F(Agent, AsADaemonFollowsRenewalsUntilSigterm) {
  const std::string id = issue();
  ASSERT_EQ(agent_once(id, "--token " + host_.admin_token()).status, 0);
  const std::string first_serial = serial_on_disk();
  // --renew-before 1m: the daemon only follows; the host makes the renewal.
  BackgroundAgent daemon(binary_path() + " agent --interval 1s --renew-before 1m --cert " + id + " --out " + out() +
                             " --addr " + host_.url() + " --cacert " + host_.ca_file() +
                             " --exec \"echo \\$SIGNET_CERT_SERIAL >> " + reloads() + "\"",
                         host_.dir().file("agent.pid"));
  const std::string second_id = renewed_by_the_host(id);
  ASSERT_FALSE(second_id.empty());
  const std::string new_serial = call("GET", "/v1/certificates/" + second_id).value("serial", "");
  for (int i = 0; i < 100 && serial_on_disk() != new_serial; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(serial_on_disk(), new_serial);
  for (int i = 0; i < 50 && reload_log().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(reload_log(), (std::vector<std::string>{first_serial, new_serial}));
  const CommandResult& stopped = daemon.stop();
  EXPECT_EQ(stopped.status, 0) << stopped.output;
  EXPECT_NE(stopped.output.find("installed certificate " + new_serial), std::string::npos) << stopped.output;
  expect_consistent_files();
}

// Minutes from now to the next 02:00 UTC, when the host's own renewal run
// (the default renewal.schedule) starts.
int minutes_to_the_scheduled_run() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  constexpr int kDay = 24 * 60;
  return (2 * 60 - (utc.tm_hour * 60 + utc.tm_min) + kDay) % kDay;
}

TEST_F(Agent, RenewDueRenewsWhatIsDueFromTheCommandLine) {
  const std::string later = issue({{"ttl", "24h"}});
  const std::string connection =
      " --addr " + host_.url() + " --cacert " + host_.ca_file() + " --token " + host_.admin_token();
  const SignetRun nothing = run_signet(host_.dir(), "renew --due" + connection);
  EXPECT_EQ(nothing.status, 0) << nothing.err;
  EXPECT_NE(nothing.out.find("0 renewed, 0 pending, 0 failed"), std::string::npos) << nothing.out;
  // The renewal must be the command's: when the two hours below would pass
  // 02:00 UTC, the host's own run would take it. So the clock passes that
  // hour first, while nothing is due, and the next run is a day away.
  if (const int minutes = minutes_to_the_scheduled_run(); minutes <= 130)
    ASSERT_EQ(call("POST", "/v1/test/clock", {{"advance", std::to_string(minutes + 1) + "m"}})["_status"], 200);
  const std::string due = issue();
  ASSERT_EQ(call("POST", "/v1/test/clock", {{"advance", "2h1m"}, {"run", false}})["_status"], 200);
  const SignetRun ran = run_signet(host_.dir(), "renew --due" + connection);
  EXPECT_EQ(ran.status, 0) << ran.err;
  const std::string replaced_by = call("GET", "/v1/certificates/" + due).value("renewed_by", "");
  EXPECT_NE(ran.out.find("renewed  " + due + " -> " + replaced_by), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("1 renewed, 0 pending, 0 failed"), std::string::npos) << ran.out;
  EXPECT_TRUE(call("GET", "/v1/certificates/" + later)["renewed_by"].is_null());
  EXPECT_EQ(run_signet(host_.dir(), "renew" + connection).status, 2);
}

}  // namespace
}  // namespace signet::test
