// The few DER encodings OpenSSL has no public function for: wrapping a
// TBSCertificate signed elsewhere (a `keys` provider, an HSM) into a
// Certificate (RFC 5280 §4.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
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

// The AlgorithmIdentifier DER of `algorithm`.
Result<std::string> algorithm_identifier_der(SignatureAlgorithm algorithm);

// SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }: the shape
// of a Certificate, a CertificateList and a BasicOCSPResponse's start.
std::string signed_der(std::string_view tbs_der, std::string_view algorithm_der, std::string_view signature);

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
Result<std::string> certificate_der(const std::string& tbs_der, SignatureAlgorithm algorithm,
                                    const std::string& signature);

// The SubjectPublicKeyInfo DER of a certificate or request's key as it is
// encoded there. Unlike i2d_PUBKEY it does not go through an OpenSSL 3
// encoder, which costs ~60 µs per call.
std::string spki_der(const X509_PUBKEY* key);

// Sets a certificate's subjectPublicKeyInfo from SPKI DER by copying the
// algorithm and key bits, without decoding the key: OpenSSL 3.0's
// X509_set_pubkey re-encodes and re-decodes it (~150 µs). The key must have
// been checked already (it comes from a verified CSR). Error{invalid_argument}
// when the DER is not an SPKI.
Result<void> set_spki_der(X509* certificate, const std::string& spki);

// Takes one TLV with `tag` (definite length, X.690 §8.1) off the front of
// `in` and returns all of it; `content`, when given, gets its value.
// nullopt, with `in` unchanged, for another tag or a malformed length.
std::optional<std::string_view> der_take(std::string_view& in, std::uint8_t tag, std::string_view* content = nullptr);

// The DER of a Name (what CRLs carry as issuer and OCSP CertIDs hash); "" on failure.
std::string name_der(const X509_NAME* name);

// Lower-case hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

// An ASN1_TIME (UTCTime or GeneralizedTime) as a time point.
std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time);

// The hex text of an INTEGER's value in whole octets, lower case: what
// `openssl x509 -serial` prints, lower-cased ("0a1b…").
std::string serial_hex(const ASN1_INTEGER* serial);

}  // namespace signet::pkix
