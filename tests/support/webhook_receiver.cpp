#include "webhook_receiver.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace signet::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct WebhookReceiver::Listener {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

WebhookReceiver::WebhookReceiver() { start(); }

WebhookReceiver::~WebhookReceiver() { stop(); }

void WebhookReceiver::start() {
  listener_ = std::make_unique<Listener>();
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port_);
  listener_->acceptor.open(at.protocol());
  listener_->acceptor.set_option(asio::socket_base::reuse_address(true));
  listener_->acceptor.bind(at);
  listener_->acceptor.listen();
  port_ = listener_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

void WebhookReceiver::stop() {
  if (!listener_) return;
  // close() alone does not wake a thread blocked in accept(); shutdown() does.
  ::shutdown(listener_->acceptor.native_handle(), SHUT_RDWR);
  boost::system::error_code ignored;
  listener_->acceptor.close(ignored);
  if (thread_.joinable()) thread_.join();
  listener_.reset();
}

// One connection at a time, one request per connection: enough for tests.
void WebhookReceiver::serve() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket(listener_->io);
    listener_->acceptor.accept(socket, ec);
    if (ec) return;  // closed by stop()
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) continue;
    ReceivedHook hook;
    hook.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      hook.headers[name] = std::string(field.value());
    }
    hook.body = request.body();
    const int status = status_.load();
    if (status >= 200 && status < 300) {
      std::lock_guard lock(mutex_);
      received_.push_back(std::move(hook));
    }
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.body() = status < 300 ? "ok" : "not now";
    response.keep_alive(false);
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}

std::vector<ReceivedHook> WebhookReceiver::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t WebhookReceiver::count_of(const std::string& text) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(received_.begin(), received_.end(),
                                                [&](const ReceivedHook& h) { return h.body.find(text) != std::string::npos; }));
}

bool WebhookReceiver::wait_for(const std::string& text, std::size_t count, int seconds) const {
  for (int i = 0; i < seconds * 10; ++i) {
    if (count_of(text) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return count_of(text) >= count;
}

}  // namespace signet::test
