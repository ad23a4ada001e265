#include "signet_process.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "services/http_client.hpp"

namespace signet::test {

TempDir::TempDir() {
  std::string pattern = std::filesystem::temp_directory_path().string() + "/signet-test-XXXXXX";
  path_ = ::mkdtemp(pattern.data()) ? pattern : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::ofstream(file(name), std::ios::binary | std::ios::trunc) << content;
  return file(name);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

SignetRun run_signet(const TempDir& dir, const std::string& args) {
  const std::string out = dir.file("signet.stdout"), err = dir.file("signet.stderr");
  const std::string command = "timeout 20 '" + binary_path() + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(out), read_file(err)};
}

std::string binary_path() { return SIGNET_TEST_BINARY; }

SignetProcess::SignetProcess(std::vector<std::string> args, std::string log_file) : log_file_(std::move(log_file)) {
  std::error_code ec;
  std::filesystem::remove(log_file_, ec);  // never read an earlier run's URL
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    std::string binary = binary_path();
    argv.push_back(binary.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  const std::string marker = "listening on ";
  for (int i = 0; i < 300; ++i) {  // 30 s at most
    const std::string text = log();
    const auto at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      url_ = text.substr(at + marker.size(), text.find('\n', at) - at - marker.size());
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

SignetProcess::~SignetProcess() {
  if (pid_ > 0) kill_hard();
}

std::string SignetProcess::status_url() const {
  const std::string marker = "revocation status on ";
  const std::string text = log();
  const auto at = text.find(marker);
  if (at == std::string::npos) return "";
  return text.substr(at + marker.size(), text.find('\n', at) - at - marker.size());
}

int SignetProcess::port() const { return std::stoi(url_.substr(url_.rfind(':') + 1)); }

void SignetProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void SignetProcess::send(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int SignetProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {  // 20 s, then give up and kill
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill_hard();
  return -1;
}

CommandResult run_command(const std::string& command_line) {
  CommandResult result{-1, {}};
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

signet::Result<signet::HttpResponse> http(const std::string& method, const std::string& url, const std::string& body,
                                          const std::string& token, const std::string& ca_file) {
  static signet::host::CurlHttpClient client;
  signet::HttpRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  request.options.ca_file = ca_file;
  request.options.timeout = std::chrono::seconds(30);
  return client.send(request);
}

}  // namespace signet::test
