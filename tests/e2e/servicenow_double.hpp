// The ServiceNow stand-in (tests/doubles/servicenow/servicenow_double.py),
// started in a directory of its own for one test, stopped with it, and
// restartable on the same port with its state (tables, tokens) kept.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "e2e_helpers.hpp"

namespace signet::test {

inline const std::string kServiceNowDouble =
    std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/servicenow/servicenow_double.py";

class ServiceNowDouble {
 public:
  explicit ServiceNowDouble(const std::string& options = "") : options_(options) { start(0); }
  ~ServiceNowDouble() { stop(); }

  // Starts it (again): on `port`, or a free one when 0. False when it did not listen within 10 s.
  bool start(int port) {
    run_command("rm -f " + dir_.file("port"));
    const std::string launch = "python3 " + kServiceNowDouble + " --dir " + dir_.path() + " --port " +
                               std::to_string(port) + " " + options_ + " >>" + dir_.file("server.out") + " 2>>" +
                               dir_.file("server.log") + " & echo $! > " + dir_.file("pid");
    run_command(launch);
    for (int i = 0; i < 100 && trimmed(read_file(dir_.file("port"))).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    started_ = !trimmed(read_file(dir_.file("port"))).empty();
    if (started_) port_ = std::stoi(trimmed(read_file(dir_.file("port"))));
    return started_;
  }
  void stop() {
    const std::string pid = trimmed(read_file(dir_.file("pid")));
    if (pid.empty()) return;
    run_command("kill " + pid + " 2>/dev/null; for i in $(seq 1 50); do kill -0 " + pid +
                " 2>/dev/null || break; sleep 0.1; done");
    run_command("rm -f " + dir_.file("pid"));
  }

  // Gone at once, mid-request (SIGKILL): what it had not carried out is not done.
  void kill() {
    const std::string pid = trimmed(read_file(dir_.file("pid")));
    if (pid.empty()) return;
    run_command("kill -9 " + pid + "; for i in $(seq 1 50); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.1; done");
    run_command("rm -f " + dir_.file("pid"));
  }

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_file(dir_.file("server.log")); }

  // The Table API as the integration user (basic auth), for setting up and checking.
  nlohmann::json table(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const {
    const auto r = run_command("curl -s -u signet.integration:integration-password -X " + method +
                               " -H 'Content-Type: application/json' -H 'Accept: application/json' " +
                               (body.is_null() ? std::string() : "--data-binary @" + write_body(body) + " ") + "'" +
                               url() + path + "'");
    return nlohmann::json::parse(r.output, nullptr, false);
  }
  nlohmann::json rows(const std::string& table_name, const std::string& query) const {
    return table("GET", "/api/now/table/" + table_name + "?sysparm_query=" + query + "&sysparm_exclude_reference_link=true")
        .value("result", nlohmann::json::array());
  }
  nlohmann::json journal(const std::string& element_id) const { return control("GET", "/_double/journal?element_id=" + element_id); }
  nlohmann::json stats() const { return control("GET", "/_double/stats"); }
  nlohmann::json control(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const {
    auto r = http(method, url() + path, body.is_null() ? "" : body.dump());
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }

 private:
  std::string write_body(const nlohmann::json& body) const {
    static int made = 0;
    return dir_.write("body-" + std::to_string(++made) + ".json", body.dump());
  }

  TempDir dir_;
  std::string options_;
  bool started_ = false;
  int port_ = 0;
};

}  // namespace signet::test
