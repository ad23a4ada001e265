#include "tls/server_context.hpp"

#include <filesystem>
#include <openssl/ssl.h>

#include "tls/self_signed.hpp"

namespace signet::host {
namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;

namespace {

Result<void> ensure_automatic_certificate(const std::string& data_dir, std::string& cert, std::string& key) {
  const fs::path dir = fs::path(data_dir) / "tls";
  cert = (dir / "server.crt").string();
  key = (dir / "server.key").string();
  std::error_code ec;
  if (fs::exists(cert, ec) && fs::exists(key, ec)) return {};
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::unavailable, "cannot create " + dir.string() + ": " + ec.message());
  auto pair = make_self_signed("Signet host", {}, 365);
  if (!pair) return std::move(pair).error();
  if (auto written = write_key_and_cert(pair.value(), key, cert); !written) return written;
  fs::copy_file(cert, fs::path(data_dir) / "ca.pem", fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error(ErrorCode::unavailable, "cannot write ca.pem: " + ec.message());
  return {};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls(const TlsConfig& tls, const std::string& data_dir) {
  if (tls.mode == TlsConfig::Mode::disabled) return std::shared_ptr<ssl::context>();
  std::string cert = tls.cert_file, key = tls.key_file;
  if (tls.mode == TlsConfig::Mode::automatic)
    if (auto made = ensure_automatic_certificate(data_dir, cert, key); !made) return std::move(made).error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) return make_error(ErrorCode::invalid_config, "server.tls.cert " + cert + ": " + ec.message());
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) return make_error(ErrorCode::invalid_config, "server.tls.key " + key + ": " + ec.message());
  return context;
}

}  // namespace signet::host
