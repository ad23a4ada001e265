#include "pki/ocsp_signer.hpp"

#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

#include "db/ocsp.hpp"
#include "pki/certificate_info.hpp"

namespace signet::host {
namespace {

KeySpec signer_key_spec(const std::string& kind, const std::string& label) {
  if (kind == "ecdsa-p384") return {KeyType::ec, 0, "P-384", label};
  if (kind.rfind("rsa-", 0) == 0) return {KeyType::rsa, std::stoi(kind.substr(4)), "", label};
  return {KeyType::ec, 0, "P-256", label};
}

// The signer as it answers: algorithm and key hash from its certificate.
Result<std::shared_ptr<const OcspSigner>> signer_of(const StoredOcspSigner& stored, const PluginInstances& instances) {
  auto keys = instances.keys(stored.keys_instance);
  if (!keys) return make_error(ErrorCode::not_found, "the OCSP signer's keys instance " + stored.keys_instance + " is gone");
  auto certificate = pkix::read_certificate_pem(stored.certificate_pem);
  if (!certificate) return std::move(certificate).error();
  const EVP_PKEY* key = X509_get0_pubkey(certificate.value().get());
  auto algorithm = key ? pkix::certificate_signature_algorithm(key) : make_error(ErrorCode::invalid_argument, "no key");
  if (!algorithm) return std::move(algorithm).error();
  auto algorithm_der = pkix::algorithm_identifier_der(algorithm.value());
  if (!algorithm_der) return std::move(algorithm_der).error();
  auto signer = std::make_shared<OcspSigner>();
  signer->ca = stored.ca;
  signer->keys = std::move(keys);
  signer->key_id = stored.key_id;
  signer->algorithm = algorithm.value();
  const std::string spki = pkix::public_key_der(key);
  signer->id.key_hash = pkix::ocsp_hash(pkix::OcspHash::sha1, pkix::spki_key_bits(spki));
  signer->id.algorithm_der = std::move(algorithm_der).value();
  signer->id.certificate_der = certificate_der_of(stored.certificate_pem);
  signer->not_after = stored.not_after;
  return std::shared_ptr<const OcspSigner>(std::move(signer));
}

// A fresh key and its certificate from the CA.
Result<StoredOcspSigner> make_signer(const PluginInstances& instances, const RevocationConfig& config,
                                     const std::string& ca_name, TimePoint now) {
  auto keys_instance = ocsp_keys_instance(instances, config);
  if (!keys_instance) return std::move(keys_instance).error();
  auto keys = instances.keys(keys_instance.value());
  auto ca = instances.ca(ca_name);
  if (!keys || !ca) return make_error(ErrorCode::not_found, "no CA or keys instance for the OCSP signer of " + ca_name);
  const std::string label = "ocsp-signer-" + ca_name + "-" + std::to_string(to_unix_ms(now));
  auto key = keys->generate(signer_key_spec(config.ocsp_signer_key, label));
  if (!key) return std::move(key).error();
  auto pem = ca->certify_ocsp_signer({key.value().public_key_der, "OCSP responder for " + ca_name,
                                      now + config.ocsp_signer_validity});
  if (!pem) return std::move(pem).error();
  auto info = read_certificate(pem.value());
  if (!info) return std::move(info).error();
  return StoredOcspSigner{ca_name, keys_instance.value(), key.value().key_id, pem.value(), info.value().not_after, now};
}

}  // namespace

Result<std::string> ocsp_keys_instance(const PluginInstances& instances, const RevocationConfig& config) {
  if (!config.ocsp_keys.empty()) {
    const PluginInstance* named = instances.find(config.ocsp_keys);
    if (!named || named->kind != PluginKind::keys)
      return make_error(ErrorCode::invalid_argument, "revocation.ocsp.keys names no keys instance: " + config.ocsp_keys);
    return config.ocsp_keys;
  }
  std::vector<std::string> names;
  for (const auto& i : instances.all())
    if (i.kind == PluginKind::keys) names.push_back(i.name);
  if (names.size() == 1) return names.front();
  return make_error(ErrorCode::invalid_argument,
                    names.empty() ? "OCSP needs a keys instance for its responder keys; the configuration has none"
                                  : "several keys instances: name the one for OCSP responder keys in revocation.ocsp.keys");
}

bool ocsp_signer_due(const OcspSigner& signer, const RevocationConfig& config, TimePoint now) {
  return signer.not_after - now <= config.ocsp_signer_renew_before;
}

Result<std::shared_ptr<const OcspSigner>> ensure_ocsp_signer(Database& db, const PluginInstances& instances,
                                                              const RevocationConfig& config, const std::string& ca,
                                                              TimePoint now, signet::Logger& log) {
  auto stored = load_ocsp_signer(db, ca);
  if (!stored) return std::move(stored).error();
  if (stored.value()) {
    auto signer = signer_of(*stored.value(), instances);
    if (signer && !ocsp_signer_due(*signer.value(), config, now)) return signer;
    if (!signer) log.warn("the stored OCSP signer is unusable; making a new one", {{"ca", ca}, {"error", signer.error().message}});
  }
  auto made = make_signer(instances, config, ca, now);
  if (!made) return std::move(made).error();
  // A new key that signs for the CA is an event an auditor looks for.
  const StoredOcspSigner& m = made.value();
  const AuditRecord audit{"", "signet", "", "", stored.value() ? "ocsp.signer_renew" : "ocsp.signer_create", ca, "success",
                          "ocsp-signer-" + ca + "-" + std::to_string(to_unix_ms(m.created_at)),
                          {{"keys", m.keys_instance}, {"key_id", m.key_id}, {"not_after", to_rfc3339(m.not_after)}}};
  if (auto saved = save_ocsp_signer(db, m, audit); !saved) return std::move(saved).error();
  log.info(stored.value() ? "renewed the OCSP signer" : "created the OCSP signer",
           {{"ca", ca}, {"keys", m.keys_instance}, {"not_after", to_rfc3339(m.not_after)}});
  return signer_of(made.value(), instances);
}

}  // namespace signet::host
