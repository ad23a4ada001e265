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
// <data_dir>/ca.pem. Returns null for mode `disabled`.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls(const TlsConfig& tls, const std::string& data_dir);

}  // namespace signet::host
