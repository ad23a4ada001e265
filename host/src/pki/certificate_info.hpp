// The facts the host records about a certificate a CA returned, read with
// OpenSSL from the PEM (a plugin's word is not taken for them).
#pragma once

#include <string>

#include <signet/result.hpp>

#include "util/time.hpp"

namespace signet::host {

struct CertificateInfo {
  std::string serial_hex;  // lower case, whole octets, no separators
  std::string common_name;
  TimePoint not_before;
  TimePoint not_after;
  std::string key_sha256;  // hex SHA-256 of the SubjectPublicKeyInfo
  std::string key_type;    // rsa, ecdsa, ed25519, ed448; "" when not one of these
  int key_bits = 0;        // RSA modulus or EC field size; 0 when unknown
};

Result<CertificateInfo> read_certificate(const std::string& pem);
Result<CertificateInfo> read_certificate_der(std::string_view der);
// A certificate's subject as RFC 4514 text ("CN=Signet Dev Issuing CA"); "" when `pem` holds none.
std::string subject_of(const std::string& pem);
// The DER inside the first CERTIFICATE block of `pem`, without decoding it; "" when there is none.
std::string certificate_der_of(const std::string& pem);

}  // namespace signet::host
