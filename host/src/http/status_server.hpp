// The plain-HTTP/1.1 front of the revocation listener, built for the load
// relying parties put on an OCSP responder: one io_context per I/O thread,
// each with its own SO_REUSEPORT acceptor (the kernel spreads connections),
// a request head read in place (http/request_head.hpp), and answers the
// fast path has ready (cached OCSP responses) written on the I/O thread
// from memory with no allocation, log line or timer per request. Everything
// else goes through the Router on the worker pool, as on the main listener,
// and is logged and counted the same way. Idle, stalled and slow-reading
// connections are closed by a sweep, not a timer per request.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <signet/services.hpp>

#include "config/config.hpp"
#include "http/request_head.hpp"
#include "http/router.hpp"

namespace signet::host {

// An answer ready to send: `head` is the status line and headers without
// the empty line (the server adds Connection and the end); `owner` keeps
// both views alive until they are written.
struct FastAnswer {
  std::string_view head, body;
  std::shared_ptr<const void> owner;
};
// Answers on the I/O thread when it can do so without blocking; nullopt
// sends the request to the Router.
using FastPath = std::function<std::optional<FastAnswer>(const RequestHead& head, std::string_view body)>;

class StatusServer {
 public:
  StatusServer(const ServerConfig& config, const Router& router, boost::asio::thread_pool& workers,
               signet::Logger& access_log, signet::Metrics& metrics);
  ~StatusServer();

  Result<void> listen();  // binds config.listen on every I/O thread (port 0 picks one free port)
  std::string url() const;
  void start(FastPath fast);  // runs the I/O threads; `fast` may be empty
  void stop();

 private:
  friend class StatusConnection;
  struct Loop;
  void accept(Loop& loop);
  void sweep(Loop& loop);

  ServerConfig config_;
  const Router& router_;
  boost::asio::thread_pool& workers_;
  FastPath fast_;
  signet::Logger& access_log_;
  signet::Metrics& metrics_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::string host_;
  unsigned short port_ = 0;
  std::uint64_t max_connections_ = 0;
  std::atomic<std::uint64_t> connections_{0};
};

}  // namespace signet::host
