// The AWS stand-in (tests/doubles/awspca/aws_double.py), started in a
// directory of its own for one test and stopped with it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "e2e_helpers.hpp"

namespace signet::test {

inline const std::string kAwsDouble = std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/awspca/run_double.sh";

class AwsDouble {
 public:
  explicit AwsDouble(const std::string& options = "") {
    started_ = run_command(kAwsDouble + " start " + dir_.path() + " " + options).status == 0;
  }
  ~AwsDouble() { run_command(kAwsDouble + " stop " + dir_.path()); }
  bool started() const { return started_; }
  std::string url() const { return "http://127.0.0.1:" + trimmed(read_file(dir_.file("port"))); }
  std::string arn() const { return trimmed(read_file(dir_.file("ca-arn"))); }
  std::string root() const { return dir_.file("root.pem"); }
  std::string log() const { return read_file(dir_.file("server.log")); }
  nlohmann::json stats() const { return get("/_double/stats"); }
  nlohmann::json get(const std::string& path) const {
    auto r = http("GET", url() + path);
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }
  void post(const std::string& path, const nlohmann::json& body) const { (void)http("POST", url() + path, body.dump()); }

 private:
  TempDir dir_;
  bool started_ = false;
};

}  // namespace signet::test
