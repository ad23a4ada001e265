#include "e2e_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace signet::test {

std::string host_config(const TempDir& dir, const std::string& extra, bool tls) {
  return "data_dir: " + dir.path() + "/data\n" +
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

namespace {

std::vector<std::string> dev_args(const TempDir& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"serve", "--dev", "--data-dir", dir.file("dev"), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

DevHost::DevHost(const std::vector<std::string>& extra_args)
    : process_(std::make_unique<SignetProcess>(dev_args(dir_, extra_args), dir_.file("dev.log"))) {
  if (process_->started()) admin_ = trimmed(read_file(dir_.file("dev/admin-token")));
}

nlohmann::json json_of(const signet::HttpResponse& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
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
