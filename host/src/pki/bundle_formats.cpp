#include "pki/bundle_formats.hpp"

#include <memory>
#include <openssl/pkcs12.h>
#include <zip.h>

#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

namespace signet::host {
namespace {

std::string joined(const std::vector<std::string>& pems) {
  std::string out;
  for (const auto& p : pems) out += p;
  return out;
}

constexpr zip_uint32_t kUnixMode0600 = 0100600;
constexpr zip_uint32_t kUnixMode0644 = 0100644;

Error zip_failure(const std::string& what) { return make_error(ErrorCode::internal, "cannot build the ZIP archive: " + what); }

// Adds `data` (which must outlive zip_close) as `name` with a Unix mode.
bool add_file(zip_t* archive, const char* name, const std::string& data, zip_uint32_t mode) {
  zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
  if (!source) return false;
  const zip_int64_t index = zip_file_add(archive, name, source, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(source);
    return false;
  }
  return zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX, mode << 16) == 0;
}

Result<std::string> read_all(zip_source_t* source) {
  zip_stat_t st;
  if (zip_source_open(source) != 0) return zip_failure("cannot reopen the buffer");
  std::string out;
  if (zip_source_stat(source, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
    out.resize(st.size);
    if (zip_source_read(source, out.data(), st.size) != static_cast<zip_int64_t>(st.size)) out.clear();
  }
  zip_source_close(source);
  if (out.empty()) return zip_failure("cannot read the buffer back");
  return out;
}

}  // namespace

std::string pem_bundle(const BundleParts& parts) {
  return parts.certificate_pem + joined(parts.ca_chain_pem) + parts.private_key_pem;
}

Result<std::string> zip_bundle(const BundleParts& parts) {
  const std::string chain = joined(parts.ca_chain_pem);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!buffer) return zip_failure(zip_error_strerror(&error));
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (!archive) {
    zip_source_free(buffer);
    return zip_failure(zip_error_strerror(&error));
  }
  zip_source_keep(buffer);  // survives zip_close, which writes the archive into it
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buffer, zip_source_free);
  bool ok = add_file(archive, "server.crt", parts.certificate_pem, kUnixMode0644) &&
            add_file(archive, "ca-chain.crt", chain, kUnixMode0644);
  if (ok && !parts.private_key_pem.empty()) ok = add_file(archive, "server.key", parts.private_key_pem, kUnixMode0600);
  if (!ok) {
    const std::string why = zip_strerror(archive);
    zip_discard(archive);
    return zip_failure(why);
  }
  if (zip_close(archive) != 0) {
    const std::string why = zip_strerror(archive);
    zip_discard(archive);
    return zip_failure(why);
  }
  return read_all(buffer);
}

Result<std::string> pkcs12_bundle(const BundleParts& parts, const std::string& password) {
  auto cert = pkix::read_certificate_pem(parts.certificate_pem);
  if (!cert) return std::move(cert).error();
  pkix::EvpPkeyPtr key;
  if (!parts.private_key_pem.empty()) {
    auto read = pkix::read_private_key_pem(parts.private_key_pem, "");
    if (!read) return std::move(read).error();
    key = std::move(read).value();
  }
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> ca(sk_X509_new_null(), [](STACK_OF(X509)* s) {
    sk_X509_pop_free(s, X509_free);
  });
  for (const auto& pem : parts.ca_chain_pem) {
    auto c = pkix::read_certificate_pem(pem);
    if (!c) return std::move(c).error();
    sk_X509_push(ca.get(), c.value().release());
  }
  // nid 0 and iteration 0 select OpenSSL 3's defaults (PBES2/AES-256-CBC, 2048 rounds, SHA-256 MAC).
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
      PKCS12_create(password.c_str(), parts.friendly_name.c_str(), key.get(), cert.value().get(), ca.get(), 0, 0, 0, 0, 0),
      PKCS12_free);
  if (!p12) return make_error(ErrorCode::internal, "cannot build the PKCS#12 file");
  unsigned char* der = nullptr;
  const int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) return make_error(ErrorCode::internal, "cannot encode the PKCS#12 file");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace signet::host
