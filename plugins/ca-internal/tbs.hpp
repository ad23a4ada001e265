// A to-be-signed certificate and its signature through a `keys` provider:
// the CA builds the TBSCertificate, the provider signs its DER, and the
// Certificate is assembled around the signature (RFC 5280 §4.1).
#pragma once

#include <chrono>
#include <string>

#include <signet/sdk.hpp>
#include <pkix/openssl_ptr.hpp>

namespace signet::ca_internal {

using TimePoint = std::chrono::system_clock::time_point;

struct TbsBasics {
  std::string common_name;   // empty: an empty subject (names in the SAN)
  std::string organization;
  std::string serial;        // big-endian magnitude, positive
  TimePoint not_before, not_after;
  std::string public_key_der;
  SignatureAlgorithm algorithm = SignatureAlgorithm::ecdsa_sha256;
};

// 128 random bits, never zero: positive once encoded (RFC 5280 §4.1.2.2 allows
// up to 20 octets; the CA/B Forum asks for at least 64 bits of entropy).
std::string random_serial(SecureRandom& random);
// Collisions of 128 random bits mean a broken random source; a few draws
// tell that apart from bad luck.
inline constexpr int kSerialAttempts = 3;

// Version 3, serial, signature algorithm, issuer (the subject itself when
// `issuer` is null), validity, subject and key; extensions come after.
Result<pkix::X509Ptr> new_tbs(const TbsBasics& basics, const X509* issuer);

// The DER TBSCertificate of `tbs` as it stands now.
Result<std::string> tbs_der(X509* tbs);

// Signs the DER with `key_id` and returns the finished certificate's DER.
Result<std::string> sign_tbs(KeyProvider& keys, const std::string& key_id, SignatureAlgorithm algorithm,
                             const std::string& der);

}  // namespace signet::ca_internal
