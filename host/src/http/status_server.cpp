#include "http/status_server.hpp"

#include <cstring>
#include <sstream>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include "http/access_log.hpp"
#include "http/server.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// How often a loop looks for connections past their deadline.
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

constexpr std::string_view kEndKeepAlive = "\r\n";                       // HTTP/1.1 default
constexpr std::string_view kEndKeepAlive10 = "Connection: keep-alive\r\n\r\n";  // HTTP/1.0 asked for it
constexpr std::string_view kEndClose = "Connection: close\r\n\r\n";

HostError refusal_of(HeadStatus status, const RequestHead& head, std::size_t max_body) {
  if (status == HeadStatus::too_many_headers) return {"headers_too_large", "more than 32 header fields"};
  if (status == HeadStatus::incomplete) return {"headers_too_large", "the request head is too large"};
  if (head.chunked) return {"bad_request", "chunked request bodies are not accepted here; send Content-Length"};
  if (head.content_length > max_body) return {"body_too_large", "the body exceeds " + std::to_string(max_body) + " bytes"};
  return {"bad_request", "malformed HTTP/1.1 request"};
}

}  // namespace

// Per I/O thread: its io_context, acceptor and connections. Only that
// thread touches `connections`; counters are flushed by the sweep.
struct StatusServer::Loop {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer sweep_timer{io};
  asio::steady_timer accept_pause{io};
  std::unordered_set<class StatusConnection*> connections;
  std::uint64_t fast_get = 0, fast_post = 0;
};

class StatusConnection : public std::enable_shared_from_this<StatusConnection> {
 public:
  StatusConnection(StatusServer& server, StatusServer::Loop& loop, tcp::socket socket, std::string remote)
      : server_(server), loop_(loop), socket_(std::move(socket)), remote_(std::move(remote)) {
    loop_.connections.insert(this);
  }
  ~StatusConnection() { server_.connections_ -= 1; }

  void start() {
    deadline_ = SteadyClock::now() + server_.config_.limits.read_timeout;
    read();
  }

  // The sweep: a connection past its deadline (idle, stalled in a request,
  // or not reading its answer) is closed.
  bool overdue(SteadyClock::time_point now) const { return !handling_ && now > deadline_; }

  void close() {
    if (closed_) return;
    closed_ = true;
    loop_.connections.erase(this);
    boost::system::error_code ec;
    socket_.close(ec);  // pending operations end with operation_aborted
  }

 private:
  std::size_t limit() const {
    return server_.config_.limits.max_header_bytes + server_.config_.limits.max_body_bytes;
  }

  void read() {
    if (used_ == buffer_.size()) buffer_.resize(std::min(std::max<std::size_t>(4096, buffer_.size() * 2), limit() + 1));
    socket_.async_read_some(asio::buffer(buffer_.data() + used_, buffer_.size() - used_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return self->close();
                              if (self->used_ == 0) self->deadline_ = SteadyClock::now() + self->server_.config_.limits.read_timeout;
                              self->used_ += n;
                              self->process();
                            });
  }

  // Answers the request at the front of the buffer once all of it is there.
  void process() {
    const std::string_view data(buffer_.data(), used_);
    RequestHead head;
    const HeadStatus status = parse_request_head(data, head);
    const auto& limits = server_.config_.limits;
    if (status == HeadStatus::incomplete && used_ <= limits.max_header_bytes) return read();
    if (status == HeadStatus::complete && head.size > limits.max_header_bytes)
      return refuse_unreadable(refusal_of(HeadStatus::incomplete, head, limits.max_body_bytes), head, status);
    if (status != HeadStatus::complete || head.chunked || head.content_length > limits.max_body_bytes)
      return refuse_unreadable(refusal_of(status, head, limits.max_body_bytes), head, status);
    const std::size_t total = head.size + head.content_length;
    if (used_ < total) return read();
    request_size_ = total;
    keep_alive_ = head.keep_alive;
    const std::string_view body = data.substr(head.size, head.content_length);
    if (server_.fast_) {
      if (auto answer = server_.fast_(head, body)) {
        (head.method == "GET" ? loop_.fast_get : loop_.fast_post) += 1;
        return write(answer->head, answer->body, std::move(answer->owner), head.minor_version);
      }
    }
    dispatch(head, body);
  }

  static HttpRequestMessage message_of(const RequestHead& head, std::string_view body) {
    HttpRequestMessage message;
    message.method_string({head.method.data(), head.method.size()});
    message.target({head.target.data(), head.target.size()});
    message.version(10 + head.minor_version);
    for (std::size_t i = 0; i < head.header_count; ++i) {
      const auto& [name, value] = head.headers[i];
      message.insert(boost::beast::string_view(name.data(), name.size()), boost::beast::string_view(value.data(), value.size()));
    }
    message.body() = std::string(body);
    return message;
  }

  // Through the Router on the worker pool, as the main listener does.
  void dispatch(const RequestHead& head, std::string_view body) {
    handling_ = true;
    auto message = std::make_shared<HttpRequestMessage>(message_of(head, body));
    const int minor = head.minor_version;
    asio::post(server_.workers_, [self = shared_from_this(), message, minor] {
      const auto started = SteadyClock::now();
      RequestContext context{*message, new_id("rid"), self->remote_, {}, {}, {}, {}};
      parse_target(std::string_view(message->target().data(), message->target().size()), context.path, context.query);
      HttpResponseMessage response = self->server_.router_.dispatch(context);
      self->answer(std::move(response), *message, context, started, minor);
    });
  }

  // A request that cannot be read: refused (and audited) by the Router, then closed.
  void refuse_unreadable(const HostError& error, const RequestHead& head, HeadStatus status) {
    handling_ = true;
    keep_alive_ = false;
    auto message = std::make_shared<HttpRequestMessage>();
    if (status == HeadStatus::complete) {
      message->method_string({head.method.data(), head.method.size()});
      message->target({head.target.data(), head.target.size()});
    }
    asio::post(server_.workers_, [self = shared_from_this(), message, error] {
      const auto started = SteadyClock::now();
      RequestContext context{*message, new_id("rid"), self->remote_, {}, {}, {}, {}};
      if (!message->target().empty())
        parse_target(std::string_view(message->target().data(), message->target().size()), context.path, context.query);
      HttpResponseMessage response = self->server_.router_.refuse_unreadable(context, error);
      self->answer(std::move(response), *message, context, started, 1);
    });
  }

  // On a worker: serializes the answer, then writes it on the I/O thread.
  void answer(HttpResponseMessage response, const HttpRequestMessage& request, const RequestContext& context,
              SteadyClock::time_point started, int minor) {
    response.set("X-Request-Id", context.request_id);
    response.set(http::field::server, "signet");
    response.set(http::field::date, to_http_date(Clock::now()));  // RFC 9110 §6.6.1; agents judge expiry by it
    response.version(11);
    response.prepare_payload();
    std::ostringstream text;
    text << response.base();
    auto owned = std::make_shared<std::string>(text.str());
    const std::size_t head_size = owned->size() - 2;  // up to the empty line
    *owned += response.body();
    record_access(server_.access_log_, server_.metrics_, request, context, response,
                  std::chrono::duration<double>(SteadyClock::now() - started).count());
    asio::post(socket_.get_executor(), [self = shared_from_this(), owned, head_size, minor] {
      self->handling_ = false;
      if (self->closed_) return;
      const std::string_view all(*owned);
      self->write(all.substr(0, head_size), all.substr(head_size + 2), owned, minor);
    });
  }

  void write(std::string_view head, std::string_view body, std::shared_ptr<const void> owner, int minor) {
    owner_ = std::move(owner);
    const std::string_view end = !keep_alive_ ? kEndClose : minor == 0 ? kEndKeepAlive10 : kEndKeepAlive;
    const std::array<asio::const_buffer, 3> pieces{asio::buffer(head.data(), head.size()), asio::buffer(end.data(), end.size()),
                                                   asio::buffer(body.data(), body.size())};
    deadline_ = SteadyClock::now() + server_.config_.limits.read_timeout;
    asio::async_write(socket_, pieces, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      self->owner_.reset();
      if (ec || !self->keep_alive_) {
        if (!ec) {
          boost::system::error_code ignored;
          self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        }
        return self->close();
      }
      self->next();
    });
  }

  // Drops the answered request from the buffer; the next may be there already.
  void next() {
    std::memmove(buffer_.data(), buffer_.data() + request_size_, used_ - request_size_);
    used_ -= request_size_;
    request_size_ = 0;
    const auto& limits = server_.config_.limits;
    deadline_ = SteadyClock::now() + (used_ > 0 ? limits.read_timeout : limits.idle_timeout);
    if (used_ > 0) return process();
    read();
  }

  StatusServer& server_;
  StatusServer::Loop& loop_;
  tcp::socket socket_;
  std::string remote_;
  std::vector<char> buffer_;
  std::size_t used_ = 0, request_size_ = 0;
  bool keep_alive_ = true, handling_ = false, closed_ = false;
  SteadyClock::time_point deadline_;
  std::shared_ptr<const void> owner_;  // what the answer being written points into
};

StatusServer::StatusServer(const ServerConfig& config, const Router& router, asio::thread_pool& workers,
                           signet::Logger& access_log, signet::Metrics& metrics)
    : config_(config), router_(router), workers_(workers), access_log_(access_log), metrics_(metrics) {}

StatusServer::~StatusServer() {
  stop();
  loops_.clear();  // connections still queued in a loop end here, while every member they touch is alive
}

Result<void> StatusServer::listen() {
  unsigned short port = 0;
  if (!split_host_port(config_.listen, host_, port))
    return make_error(ErrorCode::invalid_config, "revocation.listen must be HOST:PORT, got \"" + config_.listen + "\"");
  const int threads = std::max(1, config_.io_threads);
  try {
    for (int i = 0; i < threads; ++i) {
      auto loop = std::make_unique<Loop>();
      tcp::resolver resolver(loop->io);
      tcp::endpoint endpoint = *resolver.resolve(host_, std::to_string(port), tcp::resolver::passive).begin();
      loop->acceptor.open(endpoint.protocol());
      loop->acceptor.set_option(asio::socket_base::reuse_address(true));
      // Every loop listens on the same port; the kernel spreads connections.
      loop->acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
      loop->acceptor.bind(endpoint);
      loop->acceptor.listen(asio::socket_base::max_listen_connections);
      port = loop->acceptor.local_endpoint().port();  // the next loops bind the port the first one got
      loops_.push_back(std::move(loop));
    }
  } catch (const std::exception& e) {
    loops_.clear();
    return make_error(ErrorCode::unavailable, "cannot listen on " + config_.listen + ": " + e.what());
  }
  port_ = port;
  max_connections_ = std::min<std::uint64_t>(config_.limits.max_connections, connection_capacity());
  return {};
}

std::string StatusServer::url() const {
  const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return "http://" + host + ":" + std::to_string(port_);
}

void StatusServer::accept(Loop& loop) {
  loop.acceptor.async_accept([this, &loop](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !loop.acceptor.is_open()) return;
    if (!ec && connections_.load() < max_connections_) {
      boost::system::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      socket.set_option(tcp::no_delay(true), peer_ec);
      connections_ += 1;
      std::make_shared<StatusConnection>(*this, loop, std::move(socket), peer_ec ? "" : peer.address().to_string())->start();
    }
    // Out of descriptors (EMFILE) and the like: keep serving the
    // connections there are, and try again shortly.
    if (ec) {
      access_log_.warn("accept failed", {{"error", ec.message()}});
      loop.accept_pause.expires_after(std::chrono::milliseconds(100));
      loop.accept_pause.async_wait([this, &loop](const boost::system::error_code& e) {
        if (!e) accept(loop);
      });
      return;
    }
    accept(loop);
  });
}

void StatusServer::sweep(Loop& loop) {
  loop.sweep_timer.expires_after(kSweepInterval);
  loop.sweep_timer.async_wait([this, &loop](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = SteadyClock::now();
    std::vector<StatusConnection*> overdue;
    for (auto* c : loop.connections)
      if (c->overdue(now)) overdue.push_back(c);
    for (auto* c : overdue) c->close();
    // Answers of the fast path are counted here, not one metrics update each.
    if (loop.fast_get) metrics_.counter_add("signet_http_requests_total", "HTTP requests answered", {{"route", "/pki/{ca}/ocsp/{*request}"}, {"method", "GET"}, {"code", "200"}}, static_cast<double>(loop.fast_get));
    if (loop.fast_post) metrics_.counter_add("signet_http_requests_total", "HTTP requests answered", {{"route", "/pki/{ca}/ocsp"}, {"method", "POST"}, {"code", "200"}}, static_cast<double>(loop.fast_post));
    loop.fast_get = loop.fast_post = 0;
    sweep(loop);
  });
}

void StatusServer::start(FastPath fast) {
  fast_ = std::move(fast);
  for (auto& loop : loops_) {
    accept(*loop);
    sweep(*loop);
    threads_.emplace_back([&io = loop->io] { io.run(); });
  }
}

void StatusServer::stop() {
  for (auto& loop : loops_) loop->io.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& loop : loops_) {
    boost::system::error_code ec;
    loop->acceptor.close(ec);
  }
}

}  // namespace signet::host
