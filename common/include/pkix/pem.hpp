// Certificates between PEM text and OpenSSL objects.
#pragma once

#include <string>
#include <vector>

#include <signet/result.hpp>

#include <pkix/openssl_ptr.hpp>

namespace signet::pkix {

std::string certificate_pem(const X509* certificate);
Result<X509Ptr> certificate_from_der(const std::string& der);
// The first certificate in `pem`; Error{invalid_argument} when there is none.
Result<X509Ptr> read_certificate_pem(const std::string& pem);
// PEM armour (RFC 7468) with `label` ("X509 CRL", ...) around DER.
std::string pem_encode(const std::string& label, const std::string& der);
// PEM armour (RFC 7468) around certificate DER, without parsing it.
std::string certificate_pem_from_der(const std::string& der);
// The PEM CERTIFICATE blocks of `text`, in order, each ending in a newline.
std::vector<std::string> certificate_pem_blocks(const std::string& text);
// Every certificate in `pem`, in order.
Result<std::vector<X509Ptr>> read_certificates_pem(const std::string& pem);

}  // namespace signet::pkix
