#include <pkix/pem.hpp>

#include <openssl/pem.h>
#include <signet/x509.hpp>

namespace signet::pkix {

std::string certificate_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string pem_encode(const std::string& label, const std::string& der) {
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                                reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  base64.resize(static_cast<std::size_t>(n));
  std::string pem;
  pem.reserve(base64.size() + base64.size() / 64 + 2 * label.size() + 40);
  pem += "-----BEGIN " + label + "-----\n";
  for (std::size_t i = 0; i < base64.size(); i += 64) pem.append(base64, i, 64) += '\n';  // RFC 7468 §2: 64 per line
  return pem + "-----END " + label + "-----\n";
}

std::string certificate_pem_from_der(const std::string& der) { return pem_encode("CERTIFICATE", der); }

Result<X509Ptr> certificate_from_der(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!certificate) return make_error(ErrorCode::invalid_argument, "not a DER certificate: " + openssl_error());
  return certificate;
}

std::vector<std::string> certificate_pem_blocks(const std::string& text) { return x509::pem_blocks(text); }

Result<std::vector<X509Ptr>> read_certificates_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(ErrorCode::internal, "out of memory");
  std::vector<X509Ptr> out;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(certificate);
  ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
  return out;
}

Result<X509Ptr> read_certificate_pem(const std::string& pem) {
  auto all = read_certificates_pem(pem);
  if (!all) return std::move(all).error();
  if (all.value().empty()) return make_error(ErrorCode::invalid_argument, "no PEM certificate found");
  return std::move(all.value().front());
}

}  // namespace signet::pkix
