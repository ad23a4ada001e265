#include "tls/server_context.hpp"

#include <filesystem>
#include <openssl/ssl.h>

#include <fsutil/files.hpp>
#include <pkix/pem.hpp>

#include "tls/self_signed.hpp"
#include "util/time.hpp"

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

// https://docs.openssl.org/3.0/man3/SSL_CTX_set_verify/: with a callback
// that always accepts, the chain is still verified and its first error kept
// for SSL_get_verify_result().
int accept_for_later_verdict(int, X509_STORE_CTX*) { return 1; }

// Client certificates are checked against the host's clock, the one that
// issued them: under `--test-clock` a certificate issued "in 61 days" is
// valid then, as it will be on the real date.
int verify_at_host_time(X509_STORE_CTX* store, void*) {
  X509_STORE_CTX_set_time(store, 0, Clock::to_time_t(Clock::now()));
  return X509_verify_cert(store);
}

Result<void> ask_for_client_certificates(SSL_CTX* ctx, const std::vector<std::string>& anchors) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (const auto& pem : anchors) {
    auto certs = pkix::read_certificates_pem(pem);
    if (!certs) return make_error(ErrorCode::invalid_config, "server.tls.client_auth: " + certs.error().message);
    for (const auto& cert : certs.value()) {
      X509_STORE_add_cert(store, cert.get());
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(cert.get())));
    }
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_for_later_verdict);
  SSL_CTX_set_cert_verify_callback(ctx, verify_at_host_time, nullptr);
  // Session resumption with peer verification needs a context id.
  static const unsigned char kSessionContext[] = "signet";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);  // the peer's certificate stays the one first shown
  return {};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls(const TlsConfig& tls, const std::string& data_dir,
                                                      const std::vector<std::string>& client_anchors) {
  if (tls.mode == TlsConfig::Mode::disabled) return std::shared_ptr<ssl::context>();
  std::string cert = tls.cert_file, key = tls.key_file;
  if (tls.mode == TlsConfig::Mode::automatic)
    if (auto made = ensure_automatic_certificate(data_dir, cert, key); !made) return std::move(made).error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  // TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate"
  // without DHE); TLS 1.3 suites are all of that kind already.
  SSL_CTX_set_cipher_list(context->native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) return make_error(ErrorCode::invalid_config, "server.tls.cert " + cert + ": " + ec.message());
  if (auto kept = fsutil::read_private_file(key); !kept)
    return make_error(ErrorCode::invalid_config, "server.tls.key: " + kept.error().message);
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) return make_error(ErrorCode::invalid_config, "server.tls.key " + key + ": " + ec.message());
  if (tls.client_auth.mode != ClientAuthConfig::Mode::off)
    if (auto asked = ask_for_client_certificates(context->native_handle(), client_anchors); !asked) return std::move(asked).error();
  return context;
}

}  // namespace signet::host
