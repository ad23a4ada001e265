// The files `signet agent` keeps current in its directory: server.crt, its
// key server.key (0600) and ca-chain.crt, plus server.key.pending, the key
// of a renewal asked for but not installed yet, so that a crash between
// the request and the install loses no key.
#pragma once

#include <optional>
#include <string>

#include <signet/result.hpp>

#include "pki/certificate_info.hpp"

namespace signet::host {

class DeployedFiles {
 public:
  explicit DeployedFiles(std::string dir);

  const std::string& directory() const { return dir_; }
  std::string cert_file() const { return dir_ + "/server.crt"; }
  std::string key_file() const { return dir_ + "/server.key"; }
  std::string chain_file() const { return dir_ + "/ca-chain.crt"; }
  std::string pending_key_file() const { return dir_ + "/server.key.pending"; }

  // The installed certificate when server.crt and server.key are both there
  // and belong together; nullopt otherwise (nothing yet, or a crash halfway
  // through an install: the agent installs again).
  std::optional<CertificateInfo> installed() const;

  // The PEM of a key on disk (server.key or the pending one) whose public
  // key has this SHA-256; nullopt when neither has it.
  std::optional<std::string> key_for(const std::string& key_sha256) const;

  // Replaces the three files, each atomically (the key with mode 0600),
  // then drops the pending key. The reload command is what makes a server
  // see the three together.
  Result<void> install(const std::string& cert_pem, const std::string& key_pem, const std::string& chain_pem) const;
  Result<void> keep_pending_key(const std::string& key_pem) const;
  std::optional<std::string> pending_key() const;

 private:
  std::string dir_;
};

// The hex SHA-256 of the public key of a PEM private key; "" when unreadable.
std::string public_key_sha256_of(const std::string& key_pem);

}  // namespace signet::host
