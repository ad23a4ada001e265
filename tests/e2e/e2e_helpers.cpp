#include "e2e_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <thread>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include <gtest/gtest.h>

#include "postgres_server.hpp"

namespace signet::test {

// One database per test directory: a config written again for a restart
// keeps its data.
std::string database_url_for(const TempDir& dir) {
  static std::map<std::string, std::string> urls;
  if (!testing_postgres()) return "";
  auto [it, fresh] = urls.emplace(dir.path(), "");
  if (fresh) it->second = test_database_url();
  return it->second;
}

std::string database_line(const TempDir& dir) {
  return testing_postgres() ? "database: " + database_url_for(dir) + "\n" : "";
}

std::string database_flag(const TempDir& dir) {
  return testing_postgres() ? " --database " + database_url_for(dir) : "";
}

std::vector<std::string> dev_serve_args(const TempDir& dir, const std::string& data_dir,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> args{"serve", "--dev", "--data-dir", data_dir, "--listen", "127.0.0.1:0"};
  if (testing_postgres()) args.insert(args.end(), {"--database", database_url_for(dir)});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

CommandResult query_database(const TempDir& dir, const std::string& sqlite_file, const std::string& sql) {
  if (!testing_postgres()) return run_command("sqlite3 " + sqlite_file + " \"" + sql + "\"");
  return run_command(postgres_bin_dir() + "/psql -X -q -t -A -v ON_ERROR_STOP=1 '" + database_url_for(dir) + "' -c \"" +
                     sql + "\" 2>&1");
}

CommandResult set_audit_log_down(const TempDir& dir, const std::string& sqlite_file, bool down) {
  if (!down) return query_database(dir, sqlite_file, testing_postgres() ? "DROP TRIGGER audit_down ON audit_log" : "DROP TRIGGER audit_down");
  return query_database(dir, sqlite_file,
                        testing_postgres() ? "CREATE OR REPLACE FUNCTION audit_down() RETURNS trigger AS \\$\\$ BEGIN RAISE "
                                             "EXCEPTION 'audit log unavailable'; END \\$\\$ LANGUAGE plpgsql; CREATE "
                                             "TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION "
                                             "audit_down()"
                                           : "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT "
                                             "RAISE(ABORT, 'audit log unavailable'); END;");
}

std::string copy_database(const TempDir& dir, const std::string& name) {
  const std::string url = database_url_for(dir);
  const std::size_t slash = url.rfind('/');
  const std::string copy = url.substr(slash + 1) + "_" + name;
  const auto made = run_command(postgres_bin_dir() + "/psql -X -q '" + url.substr(0, slash) + "/postgres' -c 'CREATE DATABASE " +
                                copy + " TEMPLATE " + url.substr(slash + 1) + "' 2>&1");
  EXPECT_EQ(made.status, 0) << made.output;
  return url.substr(0, slash + 1) + copy;
}

std::string database_contents(const TempDir& dir, const std::string& sqlite_prefix) {
  if (!testing_postgres()) return run_command("cat " + sqlite_prefix + "*").output;
  return run_command(postgres_bin_dir() + "/pg_dump '" + database_url_for(dir) + "'").output;
}

std::string host_config(const TempDir& dir, const std::string& extra, bool tls) {
  return "data_dir: " + dir.path() + "/data\n" + database_line(dir) +
         "log_level: warn\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  tls: " + (tls ? "{auto: true}" : "{enabled: false}") + "\n" +
         "  limits: {max_body: 64KiB, max_header: 8KiB, read_timeout: 1s, idle_timeout: 2s}\n"
         "runner: {workers: 2, poll_interval: 100ms, lease: 2s, sync_wait: 1s, max_attempts: 5,\n"
         "         backoff: {initial: 200ms, max: 1s}}\n"
         "profiles:\n"
         "  default:\n"
         "    dns: {allowed_suffixes: [.example.com]}\n"
         "    max_ttl: 90d\n" +
         extra;
}

std::string internal_ca_plugins(const TempDir& dir, const std::string& ca_config) {
  return "plugins:\n"
         "  directories: [" SIGNET_TEST_PLUGIN_DIR "]\n"
         "  keys:\n"
         "    keys: {plugin: keys-software, config: {dir: " + dir.path() + "/data/keys, passphrase: 'a passphrase of some length'}}\n"
         "  ca:\n"
         "    corp:\n"
         "      plugin: ca-internal\n"
         "      config:\n"
         "        keys: keys\n"
         "        dir: " + dir.path() + "/data/ca\n" + ca_config;
}

std::string make_csr(const TempDir& dir, const std::string& cn, const std::string& san) {
  const std::string key = dir.file(cn + ".key"), csr = dir.file(cn + ".csr");
  const auto result = run_command("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key +
                                  " -out " + csr + " -subj /CN=" + cn + " -addext subjectAltName=" + san);
  return result.status == 0 ? read_file(csr) : "";
}

RawExchange raw_exchange(int port, const std::string& data, std::chrono::milliseconds wait) {
  RawExchange out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  const auto started = std::chrono::steady_clock::now();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return out;
  }
  if (!data.empty()) (void)::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  const auto deadline = started + wait;
  char buffer[8192];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(1, left.count()))) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      out.closed_by_peer = true;
      break;
    }
    out.received.append(buffer, static_cast<std::size_t>(n));
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  ::close(fd);
  return out;
}

std::string bootstrap_token(const TempDir& dir, const std::string& config_file) {
  const std::string out = dir.file("admin-token");
  const auto result = run_command(binary_path() + " token bootstrap --config " + config_file + " --out " + out);
  if (result.status != 0) return "";
  std::string token = read_file(out);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

DevHost::DevHost(const std::vector<std::string>& extra_args)
    : process_(std::make_unique<SignetProcess>(dev_serve_args(dir_, dir_.file("dev"), extra_args), dir_.file("dev.log"))) {
  if (process_->started()) admin_ = trimmed(read_file(dir_.file("dev/admin-token")));
}

nlohmann::json json_of(const signet::HttpResponse& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
}

nlohmann::json wait_for_request(const std::string& url, const std::string& request_id, const std::string& token,
                                const std::string& ca_file, int seconds) {
  nlohmann::json last = nlohmann::json::object();
  for (int i = 0; i < seconds * 5; ++i) {
    auto r = http("GET", url + "/v1/requests/" + request_id, "", token, ca_file);
    if (r && r->status == 200) {
      last = json_of(*r);
      if (last["status"] == "succeeded" || last["status"] == "failed") return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

}  // namespace signet::test

namespace signet::test {

nlohmann::json DevHost::issue(const std::string& name) {
  const nlohmann::json body{{"common_name", name}, {"sans", {{"dns", {name}}}}, {"key", {{"type", "ecdsa"}}}};
  auto r = http("POST", url() + "/v1/certificates", body.dump(), admin_, ca_file());
  EXPECT_TRUE(r && r.value().status == 201) << (r ? r.value().body : r.error().message);
  return r && r.value().status == 201 ? json_of(r.value()) : nlohmann::json::object();
}

}  // namespace signet::test
