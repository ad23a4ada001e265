// A webhook receiver for tests: a plain-HTTP server on 127.0.0.1 that
// records every POST it gets and answers with a status the test chooses.
// It can go away (stop) and come back on the same port (start again).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace signet::test {

struct ReceivedHook {
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

class WebhookReceiver {
 public:
  WebhookReceiver();  // listens on a free port
  ~WebhookReceiver();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks"; }
  void answer_with(int status) { status_ = status; }
  void stop();   // closes the port: deliveries get "connection refused"
  void start();  // listens again on the same port
  std::vector<ReceivedHook> received() const;
  // Polls up to `seconds` for `count` hooks whose body contains `text`.
  bool wait_for(const std::string& text, std::size_t count, int seconds) const;
  std::size_t count_of(const std::string& text) const;

 private:
  void serve();
  struct Listener;
  std::unique_ptr<Listener> listener_;
  unsigned short port_ = 0;
  std::atomic<int> status_{200};
  mutable std::mutex mutex_;
  std::vector<ReceivedHook> received_;
  std::thread thread_;
};

}  // namespace signet::test
