#include "hierarchy.hpp"

#include <fsutil/files.hpp>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

#include "extensions.hpp"
#include "tbs.hpp"

namespace signet::ca_internal {
namespace {

using nlohmann::json;
using namespace signet::pkix;

std::string state_path(const CaConfig& c) { return c.dir + "/ca.json"; }

std::string label_suffix(SecureRandom& random) {
  std::uint8_t bytes[4];
  random.fill(bytes);
  return to_hex({reinterpret_cast<const char*>(bytes), sizeof bytes});
}

// Reads a chain, checks it links up and that the key matches the issuing CA.
Result<IssuerPtr> make_issuer(std::vector<std::string> chain_pem, std::string key_id, std::string root_key_id,
                              KeyProvider& keys) {
  if (chain_pem.empty()) return make_error(ErrorCode::invalid_argument, "the CA chain is empty");
  auto issuing = read_certificate_pem(chain_pem.front());
  if (!issuing) return std::move(issuing).error();
  auto key = keys.find(key_id);
  if (!key) {
    Error error = std::move(key).error();
    if (error.code == ErrorCode::not_found) {
      // The CA exists and its key does not: never "no CA yet", which would
      // make a new hierarchy in its place.
      error.code = ErrorCode::invalid_config;
      error.message = "the issuing CA's key " + key_id + " is missing (" + error.message +
                      "); restore it, or move the CA state away to start a new CA";
    }
    return error;
  }
  if (key.value().public_key_der != public_key_der(X509_get0_pubkey(issuing.value().get())))
    return make_error(ErrorCode::invalid_argument, "the key " + key_id + " does not belong to the issuing CA certificate");
  auto algorithm = certificate_signature_algorithm(X509_get0_pubkey(issuing.value().get()));
  if (!algorithm) return std::move(algorithm).error();
  auto issuer = std::make_shared<Issuer>();
  issuer->certificate = std::move(issuing).value();
  issuer->key_id = std::move(key_id);
  issuer->algorithm = algorithm.value();
  issuer->chain_pem = std::move(chain_pem);
  issuer->root_key_id = std::move(root_key_id);
  return IssuerPtr(std::move(issuer));
}

Result<void> save_state(const CaConfig& c, const Issuer& issuer) {
  const json state = {{"version", 1}, {"key_id", issuer.key_id}, {"root_key_id", issuer.root_key_id},
                      {"chain", issuer.chain_pem}};
  if (auto dir = fsutil::make_private_directory(c.dir); !dir) return dir;
  std::string chain;
  for (const auto& pem : issuer.chain_pem) chain += pem;
  if (auto written = fsutil::write_file_atomically(c.dir + "/chain.pem", chain, 0644); !written) return written;
  return fsutil::write_file_atomically(state_path(c), state.dump(2) + "\n", 0600);
}

struct CaCertificate {
  X509Ptr certificate;
  std::string key_id;
};

// A CA certificate for a new key: self-signed when `parent` is null.
Result<CaCertificate> make_ca_certificate(const CaConfig& c, const CaCertificateConfig& cc, const CaCertificate* parent,
                                          KeyProvider& keys, SecureRandom& random, Clock& clock) {
  KeySpec spec = cc.key;
  spec.label = c.instance + (parent ? "-issuing-" : "-root-") + label_suffix(random);
  auto key = keys.generate(spec);
  if (!key) return std::move(key).error();
  const std::string signer_key = parent ? parent->key_id : key.value().key_id;
  auto signer_public = public_key_from_der(parent ? public_key_der(X509_get0_pubkey(parent->certificate.get()))
                                                  : key.value().public_key_der);
  if (!signer_public) return std::move(signer_public).error();
  auto algorithm = certificate_signature_algorithm(signer_public.value().get());
  if (!algorithm) return std::move(algorithm).error();
  const auto now = clock.now();
  TimePoint not_after = now + cc.validity;
  if (parent) not_after = std::min(not_after, time_point_of(X509_get0_notAfter(parent->certificate.get())));
  const TbsBasics basics{cc.common_name, cc.organization, random_serial(random), now - c.backdate, not_after,
                         key.value().public_key_der, algorithm.value()};
  auto tbs = new_tbs(basics, parent ? parent->certificate.get() : nullptr);
  if (!tbs) return std::move(tbs).error();
  X509* t = tbs.value().get();
  const char* failed = !add_basic_constraints(t, true, cc.path_length)                              ? "basicConstraints"
                       : !add_key_usage(t, {"digital_signature", "key_cert_sign", "crl_sign"})          ? "keyUsage"
                       : !add_subject_key_id(t)                                                        ? "subjectKeyIdentifier"
                       : !add_authority_key_id(t, parent ? parent->certificate.get() : t)              ? "authorityKeyIdentifier"
                       : !add_name_constraints(t, c.name_constraints)                                  ? "nameConstraints"
                                                                                                       : nullptr;
  if (failed) return make_error(ErrorCode::internal, std::string("cannot build a CA certificate (") + failed + "): " + openssl_error());
  auto der = tbs_der(t);
  if (!der) return std::move(der).error();
  auto signed_der = sign_tbs(keys, signer_key, algorithm.value(), der.value());
  if (!signed_der) return std::move(signed_der).error();
  auto signed_cert = certificate_from_der(signed_der.value());
  if (!signed_cert) return std::move(signed_cert).error();
  return CaCertificate{std::move(signed_cert).value(), key.value().key_id};
}

}  // namespace

Result<IssuerPtr> load_issuer(const CaConfig& c, KeyProvider& keys) {
  auto text = fsutil::read_file(state_path(c));
  if (!text) return std::move(text).error();
  const json state = json::parse(text.value(), nullptr, false);
  if (state.is_discarded() || !state.is_object() || state.value("version", 0) != 1 || !state.contains("chain"))
    return make_error(ErrorCode::invalid_config, state_path(c) + " is not a ca-internal state file");
  return make_issuer(state.at("chain").get<std::vector<std::string>>(), state.value("key_id", ""),
                     state.value("root_key_id", ""), keys);
}

Result<IssuerPtr> create_hierarchy(const CaConfig& c, KeyProvider& keys, SecureRandom& random, Clock& clock) {
  auto root = make_ca_certificate(c, c.root, nullptr, keys, random, clock);
  if (!root) return std::move(root).error();
  CaCertificateConfig issuing = c.issuing;
  issuing.path_length = 0;  // issues end-entity certificates only
  auto intermediate = make_ca_certificate(c, issuing, &root.value(), keys, random, clock);
  if (!intermediate) return std::move(intermediate).error();
  auto issuer = make_issuer({certificate_pem(intermediate.value().certificate.get()), certificate_pem(root.value().certificate.get())},
                            intermediate.value().key_id, root.value().key_id, keys);
  if (!issuer) return issuer;
  if (auto saved = save_state(c, *issuer.value()); !saved) return std::move(saved).error();
  return issuer;
}

Result<IssuerPtr> import_hierarchy(const CaConfig& c, KeyProvider& keys, const CaImport& request,
                                   SecureRandom& random) {
  auto key = keys.import_key(request.private_key_pem, c.instance + "-imported-" + label_suffix(random));
  if (!key) return std::move(key).error();
  auto issuer = make_issuer(request.chain_pem, key.value().key_id, "", keys);
  if (!issuer) return issuer;
  if (auto saved = save_state(c, *issuer.value()); !saved) return std::move(saved).error();
  return issuer;
}

}  // namespace signet::ca_internal
