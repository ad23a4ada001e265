// Live reload (SIGHUP, `signet reload`) on the real binary: profiles, the
// log level, rate limits, the TLS certificate and a notifier's config
// change while the host serves, without closing a keep-alive connection; a
// file with problems or a change only a restart can make is refused with
// every reason, and the running configuration stays.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <future>
#include <sys/stat.h>
#include <thread>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

// A host with an internal CA and a notify-jsonl notifier writing to `events`.
class Reload : public ::testing::Test {
 protected:
  std::string config(const std::string& suffixes, const std::string& events_file, const std::string& more = "") {
    std::string text = host_config(dir_, internal_ca_plugins(dir_, "") +
                                             "  notifier:\n"
                                             "    events: {plugin: notify-jsonl, config: {path: " + events_file + "}}\n"
                                             "pipelines:\n"
                                             "  issue: {sign: corp, notify: [events]}\n" + more);
    const std::string from = "allowed_suffixes: [.example.com]";
    return text.replace(text.find(from), from.size(), "allowed_suffixes: [" + suffixes + "]");
  }
  void start(const std::string& text) {
    file_ = dir_.write("signet.yaml", text);
    token_ = bootstrap_token(dir_, file_);
    host_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", file_}, dir_.file("host.log"));
  }
  // Rewrites the file and sends SIGHUP; waits (bounded) for the reload's
  // audit record and says whether its outcome is `expected`.
  bool reload_with(const std::string& text, const std::string& expected) {
    dir_.write("signet.yaml", text);
    const auto before = reloads().size();
    host_->send(SIGHUP);
    for (int i = 0; i < 100; ++i) {
      const json records = reloads();
      if (records.size() > before) return records[0]["outcome"] == expected;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  json reloads() {
    auto r = http("GET", host_->url() + "/v1/audit?action=config.reload&order=desc", "", token_, ca());
    return r && r->status == 200 ? json_of(*r)["items"] : json::array();
  }
  int issue(const std::string& name) {
    const json body = {{"common_name", name}, {"csr", make_csr(dir_, name, "DNS:" + name)}};
    auto r = http("POST", host_->url() + "/v1/certificates", body.dump(), token_, ca());
    return r ? r->status : -1;
  }
  CommandResult signet_reload() {
    return run_command(std::string(SIGNET_TEST_BINARY) + " reload --addr " + host_->url() + " --token " + token_ +
                       " --cacert " + ca() + " 2>&1");
  }
  std::string ca() const { return ca_file_.empty() ? dir_.file("data/ca.pem") : ca_file_; }

  TempDir dir_;
  std::string file_, token_, ca_file_;
  std::unique_ptr<SignetProcess> host_;
};

TEST_F(Reload, ProfilesAndTheLogLevelChangeWhileAKeepAliveConnectionStaysOpen) {
  const std::string events = dir_.file("events.jsonl");
  start(config(".example.com", events));
  ASSERT_TRUE(host_->started()) << host_->log();
  EXPECT_EQ(issue("a.example.net"), 400);

  // Eight requests on one connection, a quarter of a second apart, across the reload.
  auto keep_alive = std::async(std::launch::async, [&] {
    std::string urls;
    for (int i = 0; i < 8; ++i) urls += " -o /dev/null " + host_->url() + "/health";
    return run_command("curl -s --cacert " + ca() + " --rate 4/s -w '%{http_code} %{num_connects}\\n'" + urls);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  // At warn, requests are not logged; at info each is (the access log).
  EXPECT_EQ(host_->log().find("\"msg\":\"http\""), std::string::npos);
  std::string next = config(".example.com, .example.net", events);
  next.replace(next.find("log_level: warn"), 15, "log_level: info");
  ASSERT_TRUE(reload_with(next, "success")) << host_->log();
  const auto answers = lines_of(keep_alive.get().output);
  ASSERT_EQ(answers.size(), 8u);
  int connects = 0;
  for (const auto& line : answers) {
    EXPECT_EQ(line.substr(0, 3), "200") << line;
    connects += std::stoi(line.substr(4));
  }
  EXPECT_EQ(connects, 1) << "the reload closed the connection";
  // The connection spanned the reload: at warn its first requests went
  // unlogged, at info its last ones were logged.
  std::size_t logged = 0;
  for (const auto& line : lines_of(host_->log()))
    if (line.find("\"msg\":\"http\"") != std::string::npos && line.find("/health") != std::string::npos) ++logged;
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 7u);

  EXPECT_EQ(issue("a.example.net"), 201);
  EXPECT_NE(host_->log().find("\"msg\":\"http\""), std::string::npos) << "log_level: info did not apply";
  auto audit = http("GET", host_->url() + "/v1/audit?action=config.reload&order=desc", "", token_, ca());
  ASSERT_TRUE(audit && audit->status == 200);
  const json records = json_of(*audit)["items"];
  ASSERT_EQ(records.size(), 1u) << records;
  EXPECT_EQ(records[0]["outcome"], "success");
  EXPECT_EQ(records[0]["auth"], "signal");
}

TEST_F(Reload, ABadFileOrARestartOnlyChangeIsRefusedWithEveryReason) {
  const std::string events = dir_.file("events.jsonl");
  const std::string good = config(".example.com", events);
  start(good);
  ASSERT_TRUE(host_->started()) << host_->log();

  // Two problems, each with its line; nothing of the file applies.
  std::string bad = config(".example.com, .example.net", events);
  bad.replace(bad.find("max_ttl: 90d"), 12, "max_ttl: forever");
  bad.replace(bad.find("log_level: warn"), 15, "log_level: loud");
  dir_.write("signet.yaml", bad);
  auto refused = signet_reload();
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_NE(refused.output.find("reload_refused"), std::string::npos) << refused.output;
  const auto line_of = [&](const std::string& text) {
    return "signet.yaml:" + std::to_string(1 + std::count(bad.begin(), bad.begin() + bad.find(text), '\n')) + ": ";
  };
  EXPECT_NE(refused.output.find(line_of("log_level: loud")), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(line_of("max_ttl: forever")), std::string::npos) << refused.output;
  EXPECT_NE(host_->log().find(line_of("log_level: loud")), std::string::npos) << host_->log();
  EXPECT_EQ(issue("b.example.net"), 400);

  // A new listen address needs a restart: said, and refused.
  std::string moved = good;
  moved.replace(moved.find("listen: 127.0.0.1:0"), 19, "listen: 127.0.0.1:1");
  dir_.write("signet.yaml", moved);
  refused = signet_reload();
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.output.find("server.listen changed"), std::string::npos) << refused.output;
  EXPECT_EQ(issue("c.example.com"), 201) << "the host no longer serves as before";

  // Fixed: applied, and the CLI says what changed.
  dir_.write("signet.yaml", config(".example.com, .example.net", events));
  const auto applied = signet_reload();
  EXPECT_EQ(applied.status, 0) << applied.output;
  EXPECT_NE(applied.output.find("reloaded: profiles"), std::string::npos) << applied.output;
  EXPECT_EQ(issue("d.example.net"), 201);
}

TEST_F(Reload, ANotifierWhoseConfigChangedIsMadeAnewAndRateLimitsApply) {
  const std::string first = dir_.file("first.jsonl"), second = dir_.file("second.jsonl");
  start(config(".example.com", first));
  ASSERT_TRUE(host_->started()) << host_->log();
  auto chain = [&] {
    auto r = http("GET", host_->url() + "/pki/corp/chain.pem", "", "", ca());
    return r ? r->body : "";
  };
  const std::string chain_before = chain();
  auto delivered = [](const std::string& file, const std::string& name) {
    for (int i = 0; i < 100; ++i) {
      if (read_file(file).find(name) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_EQ(issue("one.example.com"), 201);
  EXPECT_TRUE(delivered(first, "one.example.com"));

  ASSERT_TRUE(reload_with(config(".example.com", second,
                                 "server_rate_limits_placeholder: 0\n"),
                          "failure"))  // an unknown key: refused with its line
      << host_->log();
  ASSERT_TRUE(reload_with(config(".example.com", second), "success")) << host_->log();
  ASSERT_EQ(issue("two.example.com"), 201);
  EXPECT_TRUE(delivered(second, "two.example.com"));
  EXPECT_EQ(read_file(first).find("two.example.com"), std::string::npos);
  EXPECT_EQ(chain(), chain_before) << "the CA, whose config did not change, was made anew";

  // Rate limits last: they would slow the polling above.
  std::string limited_config = config(".example.com", second);
  limited_config.replace(limited_config.find("server:\n"), 8,
                         "server:\n  rate_limits: {per_principal: {rate: 1, burst: 1}}\n");
  ASSERT_TRUE(reload_with(limited_config, "success")) << host_->log();
  int limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = http("GET", host_->url() + "/v1/certificates?limit=1", "", token_, ca());
    if (r && r->status == 429) ++limited;
  }
  EXPECT_GT(limited, 0) << "server.rate_limits did not apply";
}

TEST_F(Reload, TheTlsCertificateAndKeyFilesAreReadAgain) {
  auto make_pair = [&](const std::string& cn) {
    const auto made = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" +
                                  cn + " -addext subjectAltName=IP:127.0.0.1 -keyout " + dir_.file("tls.key") +
                                  " -out " + dir_.file("tls.crt") + " 2>&1");
    ::chmod(dir_.file("tls.key").c_str(), 0600);
    return made.status == 0;
  };
  ASSERT_TRUE(make_pair("reload-one"));
  std::string text = config(".example.com", dir_.file("events.jsonl"));
  text.replace(text.find("tls: {auto: true}"), 17, "tls: {cert: " + dir_.file("tls.crt") + ", key: " + dir_.file("tls.key") + "}");
  start(text);
  ASSERT_TRUE(host_->started()) << host_->log();
  ca_file_ = dir_.file("tls.crt");  // self-signed: each pair is its own anchor
  auto served_subject = [&] {
    return run_command("openssl s_client -connect 127.0.0.1:" + std::to_string(host_->port()) +
                       " </dev/null 2>/dev/null | openssl x509 -noout -subject").output;
  };
  EXPECT_NE(served_subject().find("reload-one"), std::string::npos);
  ASSERT_TRUE(make_pair("reload-two"));
  ASSERT_TRUE(reload_with(text, "success")) << host_->log();
  EXPECT_NE(served_subject().find("reload-two"), std::string::npos) << host_->log();

  // A key that does not fit: refused, the renewed pair still served.
  ASSERT_EQ(run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + dir_.file("tls.key")).status, 0);
  ::chmod(dir_.file("tls.key").c_str(), 0600);
  ASSERT_TRUE(reload_with(text, "failure")) << host_->log();
  EXPECT_NE(served_subject().find("reload-two"), std::string::npos);
}

}  // namespace
}  // namespace signet::test
