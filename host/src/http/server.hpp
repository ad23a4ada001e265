// The HTTP(S) front: Boost.Beast over Asio, one coroutine per connection
// (Beast's server-flex-awaitable example). I/O threads only parse and
// write; every handler runs on the worker pool.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <signet/services.hpp>

#include "config/config.hpp"
#include "http/router.hpp"

namespace signet::host {

class HttpServer {
 public:
  // `tls` may be null only when the configuration disabled TLS explicitly.
  HttpServer(const ServerConfig& config, std::shared_ptr<boost::asio::ssl::context> tls, const Router& router,
             boost::asio::thread_pool& workers, signet::Logger& access_log, signet::Metrics& metrics);
  ~HttpServer();

  // Binds the listen address (port 0 picks a free port).
  Result<void> listen();
  unsigned short port() const { return port_; }
  std::string url() const;
  void start();  // runs the I/O threads
  void stop();   // stops the I/O threads (ending every connection) and closes the listener
  // A reload's certificate and key: connections accepted from now on
  // handshake with `tls`; those open keep theirs. Only when TLS is on.
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls);

 private:
  template <class Stream> friend class Session;
  boost::asio::awaitable<void> accept_loop();
  void spawn_session(boost::asio::ip::tcp::socket socket);

  std::shared_ptr<boost::asio::ssl::context> current_tls() const;

  ServerConfig config_;
  mutable std::mutex tls_mutex_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  const Router& router_;
  boost::asio::thread_pool& workers_;
  signet::Logger& access_log_;
  signet::Metrics& metrics_;
  boost::asio::io_context io_;
  // Keeps the I/O threads running while every session waits on the pool.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint64_t max_connections_ = 0;
  unsigned short port_ = 0;
  std::string host_;
  std::atomic<std::uint64_t> connections_{0};
  std::vector<std::thread> threads_;
};

// Raises the soft descriptor limit to the hard one and keeps room for the
// database, plugins and log files: more connections than that would only
// make accept() fail.
std::uint64_t connection_capacity();

// "127.0.0.1:8443", "[::1]:0", "localhost:8443" → host and port.
bool split_host_port(const std::string& listen, std::string& host, unsigned short& port);

}  // namespace signet::host
