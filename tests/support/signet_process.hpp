// Starts the real signet binary as a child process and talks to it over
// HTTP(S) with the host's libcurl client, as any client would.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <signet/services.hpp>

namespace signet::test {

// A fresh directory under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const;  // returns the path

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
std::vector<std::string> lines_of(const std::string& text);  // non-empty lines

class SignetProcess {
 public:
  // args after the binary, e.g. {"serve", "--config", F}. Waits until the
  // host prints its URL (or exits).
  explicit SignetProcess(std::vector<std::string> args, std::string log_file);
  ~SignetProcess();

  bool started() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  // The plain-HTTP revocation listener ("" when the host has none).
  std::string status_url() const;
  int port() const;
  void kill_hard();      // SIGKILL
  void send(int signal);  // SIGHUP: a reload
  int stop();            // SIGTERM, then the exit status
  std::string log() const { return read_file(log_file_); }

 private:
  int pid_ = -1;
  std::string url_;
  std::string log_file_;
};

// Runs a command line through /bin/sh; returns its exit status and output.
struct CommandResult {
  int status;
  std::string output;
};
CommandResult run_command(const std::string& command_line);

// Runs the signet binary with `args` (shell words) under a 20 s limit
// (timeout exits 124); stdout and stderr are kept apart.
struct SignetRun {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};
SignetRun run_signet(const TempDir& dir, const std::string& args);

// Sends one request with the host's own libcurl client.
signet::Result<signet::HttpResponse> http(const std::string& method, const std::string& url,
                                          const std::string& body = "", const std::string& token = "",
                                          const std::string& ca_file = "");

std::string binary_path();  // the signet executable under test

}  // namespace signet::test
