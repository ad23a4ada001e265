// The TLS context of the front: TLS 1.2 and 1.3 only.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <signet/result.hpp>

#include "config/config.hpp"

namespace signet::host {

// For mode `automatic`, makes (once) a self-signed certificate under
// <data_dir>/tls and writes the certificate clients should trust to
// <data_dir>/ca.pem. Returns null for mode `disabled`. With client_auth on,
// asks clients for a certificate and checks it against `client_anchors`
// (PEM), but lets the handshake finish either way: the verdict is the
// HTTP layer's, which answers with a precise 401 and an audit record.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls(const TlsConfig& tls, const std::string& data_dir,
                                                                   const std::vector<std::string>& client_anchors = {});

}  // namespace signet::host
