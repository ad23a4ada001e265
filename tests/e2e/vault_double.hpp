// The Vault stand-in (tests/doubles/vault/vault_double.py), started in a
// directory of its own for one test and stopped with it.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "e2e_helpers.hpp"

namespace signet::test {

inline const std::string kVaultDouble = std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/vault/vault_double.py";

class VaultDouble {
 public:
  explicit VaultDouble(const std::string& options = "") {
    run_command("/usr/bin/python3 " + kVaultDouble + " --dir " + dir_.path() + " " + options + " >" +
                dir_.file("server.out") + " 2>" + dir_.file("server.log") + " & echo $! > " + dir_.file("pid"));
    for (int i = 0; i < 100 && trimmed(read_file(dir_.file("port"))).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    started_ = !trimmed(read_file(dir_.file("port"))).empty();
  }
  ~VaultDouble() {
    const std::string pid = trimmed(read_file(dir_.file("pid")));
    if (!pid.empty()) run_command("kill " + pid + " 2>/dev/null");
  }
  bool started() const { return started_; }
  std::string url() const { return "http://127.0.0.1:" + trimmed(read_file(dir_.file("port"))); }
  std::string root_token() const { return trimmed(read_file(dir_.file("root-token"))); }
  std::string log() const { return read_file(dir_.file("server.log")); }
  nlohmann::json control(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const {
    auto r = http(method, url() + path, body.is_null() ? "" : body.dump());
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }
  nlohmann::json stats() const { return control("GET", "/_double/stats"); }

 private:
  TempDir dir_;
  bool started_ = false;
};

}  // namespace signet::test
