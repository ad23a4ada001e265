#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <sys/resource.h>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "http/access_log.hpp"
#include "util/ids.hpp"
#include "util/thread_name.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using asio::use_awaitable;

bool split_host_port(const std::string& listen, std::string& host, unsigned short& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    const int value = std::stoi(listen.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    port = static_cast<unsigned short>(value);
  } catch (const std::exception&) {
    return false;
  }
  return !host.empty();
}

namespace {

// Runs f on the worker pool and resumes the coroutine on its own executor.
// An ordinary function, not a coroutine: GCC 12 mishandles lambdas and other
// temporaries built inside a co_await expression.
template <class R = HttpResponseMessage, class F>
auto run_on(asio::thread_pool& pool, F f) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [&pool](auto handler, F work) {
        asio::post(pool, [work = std::move(work), handler = std::move(handler)]() mutable {
          static thread_local const bool named = (name_this_thread("signet-handler"), true);
          (void)named;
          R response = work();
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor, [handler = std::move(handler), response = std::move(response)]() mutable {
            handler(std::move(response));
          });
        });
      },
      use_awaitable, std::move(f));
}

std::string error_code_for(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return "body_too_large";
  if (ec == http::error::header_limit) return "headers_too_large";
  return "bad_request";
}

// What the client showed in the handshake (renegotiation is off, so it stays).
std::optional<PeerCertificate> peer_certificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  PeerCertificate peer{{}, SSL_get_verify_result(ssl)};
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  if (length > 0) peer.der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  X509_free(cert);
  return peer;
}

}  // namespace

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer& server, Stream stream, std::string remote)
      : server_(server), stream_(std::move(stream)), remote_(std::move(remote)) {}

  asio::awaitable<void> run() {
    try {
      if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        beast::get_lowest_layer(stream_).expires_after(server_.config_.limits.read_timeout);
        co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
        peer_ = peer_certificate(stream_.native_handle());
      }
      while (co_await serve_one()) {}
      co_await shutdown();
    } catch (const std::exception&) {
      // Timeouts, resets and TLS failures end the connection; nothing to answer.
    }
  }

 private:
  // Reads, dispatches and answers one request; false when the connection
  // should close.
  asio::awaitable<bool> serve_one() {
    const auto& limits = server_.config_.limits;
    if (buffer_.size() == 0) {
      // Idle keep-alive wait for the first byte of the next request...
      beast::get_lowest_layer(stream_).expires_after(first_ ? limits.read_timeout : limits.idle_timeout);
      buffer_.commit(co_await stream_.async_read_some(buffer_.prepare(4096), use_awaitable));
    }
    first_ = false;
    // ...then the whole request must arrive within the read timeout.
    beast::get_lowest_layer(stream_).expires_after(limits.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    beast::error_code ec;
    co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(use_awaitable, ec));
    const std::string request_id = new_id("rid");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream) co_return false;
    if (ec) {
      HttpResponseMessage refusal = co_await refuse_unreadable(parser, ec, request_id);
      co_await write(refusal, request_id, false);
      co_return false;
    }
    const HttpRequestMessage request = parser.release();
    const auto started = std::chrono::steady_clock::now();
    RequestContext context{request, request_id, remote_, {}, {}, {}, {}};
    context.peer = peer_ ? &*peer_ : nullptr;
    parse_target(std::string_view(request.target().data(), request.target().size()), context.path, context.query);
    const Router& router = server_.router_;
    HttpResponseMessage response;
    if (router.runs_inline(context)) {
      response = router.dispatch(context);  // cheap and non-blocking: /health
    } else {
      auto dispatch = [&router, &context] { return router.dispatch(context); };
      response = co_await run_on(server_.workers_, std::move(dispatch));
    }
    log_access(request, context, response, started);
    if (response.result() == http::status::switching_protocols && context.live && websocket::is_upgrade(request)) {
      co_await stream_live(request, std::move(context.live));
      co_return false;
    }
    const bool keep_alive = request.keep_alive();
    co_await write(response, request_id, keep_alive);
    co_return keep_alive;
  }

  // The connection becomes a WebSocket (RFC 6455) that carries the
  // channel's messages until either side closes it. The client sends
  // nothing but control frames; a reader notices its close or its loss.
  struct Live {
    Live(Stream& stream, const asio::any_io_executor& executor) : ws(stream), wake(executor) {}
    websocket::stream<Stream&> ws;
    asio::steady_timer wake;
    bool closed = false;
  };

  asio::awaitable<void> stream_live(const HttpRequestMessage& request, std::shared_ptr<LiveChannel> channel) {
    beast::get_lowest_layer(stream_).expires_never();
    const auto executor = co_await asio::this_coro::executor;
    auto live = std::make_shared<Live>(stream_, executor);
    live->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    live->ws.set_option(websocket::stream_base::decorator([](websocket::response_type& r) { r.set(http::field::server, "signet"); }));
    live->ws.read_message_max(4096);
    co_await live->ws.async_accept(request, use_awaitable);
    asio::co_spawn(executor, read_frames(this->shared_from_this(), live), asio::detached);
    try {
      while (!live->closed) {
        auto poll = [channel] { return channel->poll(); };
        const std::vector<std::string> messages = co_await run_on<std::vector<std::string>>(server_.workers_, std::move(poll));
        for (const auto& message : messages) {
          if (live->closed) break;
          live->ws.text(true);
          co_await live->ws.async_write(asio::buffer(message), use_awaitable);
        }
        live->wake.expires_after(std::chrono::milliseconds(250));
        beast::error_code ec;
        co_await live->wake.async_wait(asio::redirect_error(use_awaitable, ec));
      }
    } catch (const std::exception&) {
      beast::error_code ec;
      beast::get_lowest_layer(stream_).socket().close(ec);  // the reader ends with it
    }
  }

  static asio::awaitable<void> read_frames(std::shared_ptr<Session> self, std::shared_ptr<Live> live) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      co_await live->ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
      buffer.consume(buffer.size());
    }
    live->closed = true;
    live->wake.cancel();
    (void)self;  // kept alive until the last read ended
  }

  // The answer to a request that could not be read, audited on the worker
  // pool (the audit write blocks). What was read of it (method, path) goes
  // into the record: the start line is parsed before any limit applies.
  asio::awaitable<HttpResponseMessage> refuse_unreadable(http::request_parser<http::string_body>& parser,
                                                         const beast::error_code& ec, const std::string& request_id) {
    const HttpRequestMessage partial = parser.release();
    const HostError error{error_code_for(ec), "malformed or oversize request: " + ec.message()};
    RequestContext context{partial, request_id, remote_, {}, {}, {}, {}};
    context.peer = peer_ ? &*peer_ : nullptr;
    if (!partial.target().empty())
      parse_target(std::string_view(partial.target().data(), partial.target().size()), context.path, context.query);
    const Router& router = server_.router_;
    auto refuse = [&router, &context, &error] { return router.refuse_unreadable(context, error); };
    co_return co_await run_on(server_.workers_, std::move(refuse));
  }

  asio::awaitable<void> write(HttpResponseMessage& response, const std::string& request_id, bool keep_alive) {
    response.set("X-Request-Id", request_id);
    response.set(http::field::server, "signet");
    response.set(http::field::date, to_http_date(Clock::now()));  // RFC 9110 §6.6.1; agents judge expiry by it
    response.keep_alive(keep_alive);
    response.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.config_.limits.read_timeout);
    co_await http::async_write(stream_, response, use_awaitable);
  }

  asio::awaitable<void> shutdown() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      co_await stream_.async_shutdown(asio::redirect_error(use_awaitable, ec));
    }
  }

  void log_access(const HttpRequestMessage& request, const RequestContext& context,
                  const HttpResponseMessage& response, std::chrono::steady_clock::time_point started) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    record_access(server_.access_log_, server_.metrics_, request, context, response, seconds);
  }

  HttpServer& server_;
  Stream stream_;
  std::string remote_;
  std::optional<PeerCertificate> peer_;
  beast::flat_buffer buffer_;
  bool first_ = true;
};

std::uint64_t connection_capacity() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur > 256 ? limit.rlim_cur - 128 : limit.rlim_cur / 2;
}

HttpServer::HttpServer(const ServerConfig& config, std::shared_ptr<asio::ssl::context> tls, const Router& router,
                       asio::thread_pool& workers, signet::Logger& access_log, signet::Metrics& metrics)
    : config_(config), tls_(std::move(tls)), router_(router), workers_(workers), access_log_(access_log),
      metrics_(metrics), work_(asio::make_work_guard(io_)), acceptor_(io_) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::listen() {
  unsigned short port = 0;
  if (!split_host_port(config_.listen, host_, port))
    return make_error(ErrorCode::invalid_config, "server.listen must be HOST:PORT, got \"" + config_.listen + "\"");
  try {
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host_, std::to_string(port), tcp::resolver::passive);
    const tcp::endpoint endpoint = *endpoints.begin();
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    max_connections_ = std::min<std::uint64_t>(config_.limits.max_connections, connection_capacity());
    return {};
  } catch (const std::exception& e) {
    return make_error(ErrorCode::unavailable, "cannot listen on " + config_.listen + ": " + e.what());
  }
}

std::string HttpServer::url() const {
  const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return std::string(current_tls() ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

asio::awaitable<void> HttpServer::accept_loop() {
  asio::steady_timer pause(io_);
  for (;;) {
    beast::error_code ec;
    // Each connection gets its own strand: with several I/O threads, its
    // timers and its coroutine never run at once.
    tcp::socket socket = co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of descriptors (EMFILE) and the like: keep serving the
      // connections there are, and try again shortly.
      access_log_.warn("accept failed", {{"error", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (connections_.load() >= max_connections_) continue;  // dropped: the socket closes here
    spawn_session(std::move(socket));
  }
}

void HttpServer::spawn_session(tcp::socket socket) {
  std::string remote;
  beast::error_code ec;
  // An answer goes out as TLS records the client must not wait 40 ms for
  // (Nagle's algorithm against the client's delayed ACK): every listing of
  // more than a few KB paid that until this was set (docs/BENCHMARKS.md).
  socket.set_option(tcp::no_delay(true), ec);
  const auto peer = socket.remote_endpoint(ec);
  if (!ec) remote = peer.address().to_string();
  connections_ += 1;
  auto done = [this](std::exception_ptr) { connections_ -= 1; };
  const auto executor = socket.get_executor();
  if (auto tls = current_tls()) {
    auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), remote);
    // The stream refers to its context: the session keeps it alive past a reload.
    asio::co_spawn(executor, [session, tls]() { return session->run(); }, done);
  } else {
    auto session = std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)), remote);
    asio::co_spawn(executor, [session]() { return session->run(); }, done);
  }
}

void HttpServer::set_tls(std::shared_ptr<asio::ssl::context> tls) {
  const std::lock_guard lock(tls_mutex_);
  if (tls_ && tls) tls_ = std::move(tls);
}

std::shared_ptr<asio::ssl::context> HttpServer::current_tls() const {
  const std::lock_guard lock(tls_mutex_);
  return tls_;
}

void HttpServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  for (int i = 0; i < config_.io_threads; ++i) threads_.emplace_back([this] {
    name_this_thread("signet-io");
    io_.run();
  });
}

void HttpServer::stop() {
  if (threads_.empty()) return;
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  beast::error_code ec;
  acceptor_.close(ec);  // no thread runs io_ any more: safe to touch here
}

}  // namespace signet::host
