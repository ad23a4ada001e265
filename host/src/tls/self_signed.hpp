// A self-signed server certificate for `tls.mode: automatic`, so a fresh
// install serves HTTPS on localhost without any setup.
#pragma once

#include <string>
#include <vector>

#include <signet/result.hpp>

namespace signet::host {

struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;  // unencrypted PKCS#8
};

// An ECDSA P-256 self-signed certificate usable as a TLS server certificate
// and as its own trust anchor: basicConstraints CA:TRUE pathlen:0 (critical),
// keyUsage digitalSignature+keyCertSign (critical), EKU serverAuth, SANs
// DNS:localhost, IP:127.0.0.1, IP:::1 plus extra_dns, a random positive
// 128-bit serial, SKI, valid from now-5min to now+days.
// invalid_argument for an empty or over-long common name, a malformed extra
// DNS name or days outside 1..36500; internal when OpenSSL fails.
Result<SelfSigned> make_self_signed(const std::string& common_name, const std::vector<std::string>& extra_dns,
                                    int days);

// Writes the key with mode 0600 and the certificate with mode 0644. Each file
// is written to a fresh temporary file next to it (O_CREAT|O_EXCL, never
// following a planted symlink), synced, then renamed over the target, so the
// key is never readable by others and readers never see half a file.
Result<void> write_key_and_cert(const SelfSigned& pair, const std::string& key_path, const std::string& cert_path);

}  // namespace signet::host
