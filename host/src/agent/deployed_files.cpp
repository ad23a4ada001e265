#include "agent/deployed_files.hpp"

#include <filesystem>

#include <fsutil/files.hpp>
#include <pkix/keys.hpp>

#include "util/ids.hpp"

namespace signet::host {

std::string public_key_sha256_of(const std::string& key_pem) {
  auto key = pkix::read_private_key_pem(key_pem, "");
  return key ? sha256_hex(pkix::public_key_der(key.value().get())) : "";
}

DeployedFiles::DeployedFiles(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::optional<CertificateInfo> DeployedFiles::installed() const {
  auto cert = fsutil::read_file(cert_file());
  auto key = fsutil::read_private_file(key_file());
  if (!cert || !key) return std::nullopt;
  auto info = read_certificate(cert.value());
  if (!info || info->key_sha256 != public_key_sha256_of(key.value())) return std::nullopt;
  return std::move(info).value();
}

std::optional<std::string> DeployedFiles::key_for(const std::string& key_sha256) const {
  for (const auto& file : {key_file(), pending_key_file()}) {
    auto key = fsutil::read_private_file(file);
    if (key && public_key_sha256_of(key.value()) == key_sha256) return std::move(key).value();
  }
  return std::nullopt;
}

Result<void> DeployedFiles::install(const std::string& cert_pem, const std::string& key_pem,
                                    const std::string& chain_pem) const {
  if (auto made = fsutil::make_private_directory(dir_); !made) return made;
  // The key first: until server.crt follows, the two disagree and
  // installed() says so, which makes the next pass install again.
  for (const auto& [file, data, mode] : {std::tuple{key_file(), &key_pem, 0600}, {chain_file(), &chain_pem, 0644},
                                         {cert_file(), &cert_pem, 0644}})
    if (auto written = fsutil::write_file_atomically(file, *data, static_cast<mode_t>(mode)); !written) return written;
  std::error_code ignored;
  std::filesystem::remove(pending_key_file(), ignored);
  return {};
}

std::optional<std::string> DeployedFiles::pending_key() const {
  auto key = fsutil::read_private_file(pending_key_file());
  if (!key || public_key_sha256_of(key.value()).empty()) return std::nullopt;
  return std::move(key).value();
}

Result<void> DeployedFiles::keep_pending_key(const std::string& key_pem) const {
  if (auto made = fsutil::make_private_directory(dir_); !made) return made;
  return fsutil::write_file_atomically(pending_key_file(), key_pem, 0600);
}

}  // namespace signet::host
