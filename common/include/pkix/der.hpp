// The few DER encodings OpenSSL has no public function for: wrapping a
// TBSCertificate signed elsewhere (a `keys` provider, an HSM) into a
// Certificate (RFC 5280 §4.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <signet/keys.hpp>
#include <signet/result.hpp>

#include <pkix/openssl_ptr.hpp>

namespace signet::pkix {

// Tag, definite length (X.690 §8.1.3), content.
std::string der_tlv(std::uint8_t tag, const std::string& content);

// Sets an AlgorithmIdentifier for `algorithm` (RFC 4055, RFC 5758, RFC 8410).
// RSA-PSS is not offered for certificates.
Result<void> set_signature_algorithm(X509_ALGOR* algor, SignatureAlgorithm algorithm);

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
Result<std::string> certificate_der(const std::string& tbs_der, SignatureAlgorithm algorithm,
                                    const std::string& signature);

// Lower-case hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

// An ASN1_TIME (UTCTime or GeneralizedTime) as a time point.
std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time);

// The hex text of an INTEGER's value in whole octets, lower case: what
// `openssl x509 -serial` prints, lower-cased ("0a1b…").
std::string serial_hex(const ASN1_INTEGER* serial);

}  // namespace signet::pkix
