// The `keys` cases: what they hold a KeyProvider plugin to, as
// signet/keys.hpp, signet/descriptor.hpp and docs/plugin-authoring.md
// promise it.
//
// - It "creates keys and signs with them; private keys never leave":
//   public_key_der is a "SubjectPublicKeyInfo, DER", key_id is "opaque to
//   the host, stable" (find answers the same key), and neither holds a
//   private key.
// - sign: "The signature is DER for ECDSA, raw for RSA and Ed25519", checked
//   by OpenSSL (crypto_checks.hpp); an algorithm of another family is an
//   error, never a signature.
// - Key types, wrap and import are announced by capability bits
//   (SIGNET_CAP_KEYS_EC/RSA/ED25519/WRAP/IMPORT): what is announced must
//   work, and what is not must be refused ("If you don't override an
//   optional method, the default returns Error{unsupported}").
// - Every method is thread-safe (plugin.hpp) and no exception crosses the
//   boundary (result.hpp), whatever the input.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <pkix/keys.hpp>

#include "conformance/crypto_checks.hpp"
#include "conformance/suite.hpp"

namespace signet::host::conformance {
namespace {

constexpr std::size_t kMaxKeyId = 1024;
constexpr std::size_t kHugeInput = 64 * 1024;

// A key id as verdicts quote it; one that holds a private key is not quoted.
std::string key_name(const std::string& key_id) {
  return holds_private_key(key_id) ? std::string("<a key id holding a private key>") : one_line(key_id);
}

const char* algorithm_name(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256: return "rsa_pkcs1_sha256";
    case SignatureAlgorithm::rsa_pkcs1_sha384: return "rsa_pkcs1_sha384";
    case SignatureAlgorithm::rsa_pss_sha256: return "rsa_pss_sha256";
    case SignatureAlgorithm::ecdsa_sha256: return "ecdsa_sha256";
    case SignatureAlgorithm::ecdsa_sha384: return "ecdsa_sha384";
    case SignatureAlgorithm::ed25519: return "ed25519";
  }
  return "unknown";
}

std::string type_name(KeyType type) {
  switch (type) {
    case KeyType::rsa: return "rsa";
    case KeyType::ec: return "ec";
    case KeyType::ed25519: return "ed25519";
  }
  return "type " + std::to_string(static_cast<int>(type));
}

constexpr SignatureAlgorithm kAllAlgorithms[] = {
    SignatureAlgorithm::rsa_pkcs1_sha256, SignatureAlgorithm::rsa_pkcs1_sha384, SignatureAlgorithm::rsa_pss_sha256,
    SignatureAlgorithm::ecdsa_sha256,     SignatureAlgorithm::ecdsa_sha384,     SignatureAlgorithm::ed25519};

// A key type as the cases try it: its capability, the spec generated and
// the algorithms that fit it.
struct KeyKind {
  KeyType type;
  std::uint64_t capability;
  std::string name;        // the capability's config name: "ec"
  std::string spec_text;   // "ec P-256", for verdicts
  std::string pkix_name;   // what pkix::key_type_name says of such a key
  KeySpec spec;            // without a label
  std::vector<SignatureAlgorithm> algorithms;

  bool fits(SignatureAlgorithm a) const { return std::find(algorithms.begin(), algorithms.end(), a) != algorithms.end(); }
};

const KeyKind kEc{KeyType::ec, SIGNET_CAP_KEYS_EC, "ec", "ec P-256", "ecdsa", {KeyType::ec, 0, "P-256", ""},
                  {SignatureAlgorithm::ecdsa_sha256, SignatureAlgorithm::ecdsa_sha384}};
const KeyKind kRsa{KeyType::rsa, SIGNET_CAP_KEYS_RSA, "rsa", "rsa 2048", "rsa", {KeyType::rsa, 2048, "", ""},
                   {SignatureAlgorithm::rsa_pkcs1_sha256, SignatureAlgorithm::rsa_pkcs1_sha384,
                    SignatureAlgorithm::rsa_pss_sha256}};
const KeyKind kEd25519{KeyType::ed25519, SIGNET_CAP_KEYS_ED25519, "ed25519", "ed25519", "ed25519",
                       {KeyType::ed25519, 0, "", ""}, {SignatureAlgorithm::ed25519}};

// The order "the first announced type" is taken in.
const std::vector<const KeyKind*> kKinds = {&kEc, &kRsa, &kEd25519};
// Wrapping may need RSA (RSA-OAEP in keys-software): tried in this order.
const std::vector<const KeyKind*> kWrapOrder = {&kRsa, &kEc, &kEd25519};

const KeyKind* first_announced(const Suite& suite) {
  for (const KeyKind* kind : kKinds)
    if (suite.announces(kind->capability)) return kind;
  return nullptr;
}

KeySpec labelled(KeySpec spec, std::string label) {
  spec.label = std::move(label);
  return spec;
}

std::string random_bytes(Suite& suite, std::size_t size) {
  std::string data(size, '\0');
  suite.services.random().fill(std::span(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
  return data;
}

std::string message_to_sign(Suite& suite) { return "signet conformance message " + suite.unique(); }

// Every call of the cases, made through suite.calls.
class KeyCalls {
 public:
  KeyCalls(Suite& suite, KeyProvider& keys) : suite_(suite), keys_(keys) {}

  Result<KeyInfo> generate(const KeySpec& spec) {
    return suite_.calls.run("generate", [&] { return keys_.generate(spec); });
  }
  Result<KeyInfo> find(const std::string& key_id) {
    return suite_.calls.run("find", [&] { return keys_.find(key_id); });
  }
  Result<std::string> sign(const std::string& key_id, SignatureAlgorithm algorithm, const std::string& message) {
    return suite_.calls.run("sign", [&] { return keys_.sign(key_id, algorithm, message); });
  }
  Result<std::string> wrap(const std::string& key_id, const std::string& plaintext) {
    return suite_.calls.run("wrap", [&] { return keys_.wrap(key_id, plaintext); });
  }
  Result<std::string> unwrap(const std::string& key_id, const std::string& ciphertext) {
    return suite_.calls.run("unwrap", [&] { return keys_.unwrap(key_id, ciphertext); });
  }
  Result<KeyInfo> import_key(const std::string& pem, const std::string& label) {
    return suite_.calls.run("import_key", [&] { return keys_.import_key(pem, label); });
  }

 private:
  Suite& suite_;
  KeyProvider& keys_;
};

// "" when `der` is a SubjectPublicKeyInfo of a key of `kind`; else what it is.
std::string public_key_problem(const KeyKind& kind, const std::string& der) {
  auto key = pkix::public_key_from_der(der);
  if (!key) return "is not a DER SubjectPublicKeyInfo (" + std::to_string(der.size()) + " bytes)";
  const std::string type = pkix::key_type_name(key.value().get());
  if (type != kind.pkix_name) return "holds a " + (type.empty() ? std::string("foreign") : type) + " key";
  if (kind.type == KeyType::ec && pkix::curve_of(key.value().get()) != kind.spec.curve)
    return "is on curve " + pkix::curve_of(key.value().get()) + ", not " + kind.spec.curve;
  return {};
}

// "" when `key` signs `message` with `algorithm` and OpenSSL verifies it.
std::string sign_and_verify(KeyCalls& keys, const KeyInfo& key, SignatureAlgorithm algorithm,
                            const std::string& message) {
  const std::string call = std::string("sign(") + key_name(key.key_id) + ", " + algorithm_name(algorithm) + ")";
  const auto signature = keys.sign(key.key_id, algorithm, message);
  if (!signature) return call + " returned " + describe(signature.error()) + ", expected a signature";
  if (auto why = check_signature(key.public_key_der, algorithm, message, signature.value()); !why.empty())
    return call + " returned " + std::to_string(signature->size()) + " bytes: " + why;
  return {};
}

// "" when every algorithm of another family is refused; else the first taken.
std::string foreign_algorithms_refused(KeyCalls& keys, const KeyKind& kind, const KeyInfo& key,
                                       const std::string& message, int& refused) {
  for (const SignatureAlgorithm algorithm : kAllAlgorithms) {
    if (kind.fits(algorithm)) continue;
    const auto signature = keys.sign(key.key_id, algorithm, message);
    if (signature)
      return std::string("sign(") + kind.name + " key, " + algorithm_name(algorithm) + ") returned a signature of " +
             std::to_string(signature->size()) + " bytes; an algorithm of another family must be an error";
    ++refused;
  }
  return {};
}

Verdict generate_announced(Suite& suite, KeyCalls& keys, const KeyKind& kind) {
  const auto generated = keys.generate(labelled(kind.spec, suite.unique("key")));
  const std::string call = "generate(" + kind.spec_text + ")";
  if (!generated) return Verdict::fail(call + " returned " + describe(generated.error()) + ", expected a key");
  const KeyInfo& key = generated.value();
  if (key.type != kind.type) return Verdict::fail(call + " returned a key of type " + type_name(key.type));
  if (auto why = public_key_problem(kind, key.public_key_der); !why.empty())
    return Verdict::fail(call + " returned a public_key_der that " + why);

  const auto found = keys.find(key.key_id);
  const std::string find_call = "find(" + key_name(key.key_id) + ")";
  if (!found) return Verdict::fail(find_call + " of a key just generated returned " + describe(found.error()));
  if (found->public_key_der != key.public_key_der || found->type != key.type)
    return Verdict::fail(find_call + " returned another public key or type than generate did");

  const std::string message = message_to_sign(suite);
  std::string algorithms;
  for (const SignatureAlgorithm algorithm : kind.algorithms) {
    if (auto why = sign_and_verify(keys, key, algorithm, message); !why.empty()) return Verdict::fail(why);
    algorithms += (algorithms.empty() ? "" : ", ") + std::string(algorithm_name(algorithm));
  }
  int refused = 0;
  if (auto why = foreign_algorithms_refused(keys, kind, key, message, refused); !why.empty()) return Verdict::fail(why);
  return Verdict::pass(kind.spec_text + " key: find agrees; " + algorithms + " verify; " + std::to_string(refused) +
                       " algorithms of other families refused");
}

Verdict generate_unannounced(Suite& suite, KeyCalls& keys, const KeyKind& kind) {
  const auto generated = keys.generate(labelled(kind.spec, suite.unique("key")));
  if (generated) return Verdict::fail("generates an " + kind.name + " key but does not announce '" + kind.name + "'");
  return Verdict::pass("does not announce '" + kind.name + "' and generate(" + kind.spec_text + ") returned " +
                       std::string(to_string(generated.error().code)));
}

Verdict generate(Suite& suite, KeyCalls& keys, const KeyKind& kind) {
  return suite.announces(kind.capability) ? generate_announced(suite, keys, kind)
                                          : generate_unannounced(suite, keys, kind);
}

Verdict no_export(Suite& suite, KeyCalls& keys) {
  const KeyKind* kind = first_announced(suite);
  if (!kind) return Verdict::skip("announces no key type (ec, rsa, ed25519)");
  const auto generated = keys.generate(labelled(kind->spec, suite.unique("key")));
  if (!generated)
    return Verdict::fail("generate(" + kind->spec_text + ") returned " + describe(generated.error()) + ", expected a key");
  const KeyInfo& key = generated.value();
  if (holds_private_key(key.key_id))
    return Verdict::fail("generate(" + kind->spec_text + ") returned a key_id that holds the private key");
  if (holds_private_key(key.public_key_der))
    return Verdict::fail("generate(" + kind->spec_text + ") returned a public_key_der that holds the private key");
  if (key.key_id.size() > kMaxKeyId)
    return Verdict::fail("generate(" + kind->spec_text + ") returned a key_id of " + std::to_string(key.key_id.size()) +
                         " bytes, more than " + std::to_string(kMaxKeyId));
  return Verdict::pass("key_id (" + std::to_string(key.key_id.size()) +
                       " bytes) and public_key_der hold no private key");
}

Verdict unknown_id(Suite& suite, KeyCalls& keys) {
  const std::string id = suite.unique("conformance-no-such-key");
  const auto found = keys.find(id);
  if (found || found.error().code != ErrorCode::not_found)
    return Verdict::fail("find(" + id + ") of a key never made returned " +
                         (found ? "a key" : describe(found.error())) + ", expected not_found");
  const KeyKind* kind = first_announced(suite);
  const SignatureAlgorithm algorithm = kind ? kind->algorithms.front() : SignatureAlgorithm::ecdsa_sha256;
  const auto signature = keys.sign(id, algorithm, message_to_sign(suite));
  if (signature)
    return Verdict::fail("sign(" + id + ", " + algorithm_name(algorithm) + ") of a key never made returned a signature");
  const ErrorCode code = signature.error().code;
  if (code != ErrorCode::not_found && code != ErrorCode::invalid_argument)
    return Verdict::fail("sign(" + id + ", " + algorithm_name(algorithm) + ") of a key never made returned " +
                         describe(signature.error()) + ", expected not_found or invalid_argument");
  return Verdict::pass("find answered not_found and sign " + std::string(to_string(code)) + " for an unknown key id");
}

// A key of an announced type that wrap accepted, and what wrap returned.
struct WrappingKey {
  KeyInfo key;
  const KeyKind* kind = nullptr;
  std::string ciphertext;
};

// Tries the announced types in kWrapOrder; `attempts` says why each failed.
std::optional<WrappingKey> first_key_that_wraps(Suite& suite, KeyCalls& keys, const std::string& plaintext,
                                                std::string& attempts) {
  for (const KeyKind* kind : kWrapOrder) {
    if (!suite.announces(kind->capability)) continue;
    const auto generated = keys.generate(labelled(kind->spec, suite.unique("key")));
    if (!generated) {
      attempts += (attempts.empty() ? "" : "; ") + kind->name + ": generate returned " + describe(generated.error());
      continue;
    }
    auto wrapped = keys.wrap(generated->key_id, plaintext);
    if (wrapped) return WrappingKey{generated.value(), kind, std::move(wrapped).value()};
    attempts += (attempts.empty() ? "" : "; ") + kind->name + ": wrap returned " + describe(wrapped.error());
  }
  return std::nullopt;
}

Verdict wrap_announced(Suite& suite, KeyCalls& keys) {
  const std::string plaintext = random_bytes(suite, 32);
  std::string attempts;
  const auto wrapping = first_key_that_wraps(suite, keys, plaintext, attempts);
  if (!wrapping && attempts.empty())
    return Verdict::fail("announces 'wrap' but no key type (rsa, ec, ed25519) to wrap with");
  if (!wrapping)
    return Verdict::fail("announces 'wrap' but wrap of 32 bytes failed with every announced key type: " + attempts);

  const std::string& id = wrapping->key.key_id;
  const std::string& ciphertext = wrapping->ciphertext;
  if (ciphertext.empty())
    return Verdict::fail("wrap(" + key_name(id) + ", 32 bytes) returned an empty ciphertext");
  if (ciphertext == plaintext)
    return Verdict::fail("wrap(" + key_name(id) + ", 32 bytes) returned the plaintext itself");
  const auto unwrapped = keys.unwrap(id, ciphertext);
  if (!unwrapped)
    return Verdict::fail("unwrap(" + key_name(id) + ") of what wrap returned answered " + describe(unwrapped.error()));
  if (unwrapped.value() != plaintext)
    return Verdict::fail("unwrap(" + key_name(id) + ") returned " + std::to_string(unwrapped->size()) +
                         " bytes that are not the 32 bytes wrapped");
  std::string tampered = ciphertext;
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);
  const auto refused = keys.unwrap(id, tampered);
  if (refused)
    return Verdict::fail("unwrap(" + key_name(id) + ") of the ciphertext with its last byte flipped returned " +
                         std::to_string(refused->size()) + " bytes, expected an error");
  return Verdict::pass(wrapping->kind->name + " key: 32 bytes wrap into " + std::to_string(ciphertext.size()) +
                       " bytes and unwrap identical; a flipped byte is refused (" +
                       std::string(to_string(refused.error().code)) + ")");
}

Verdict wrap_unannounced(Suite& suite, KeyCalls& keys) {
  std::string id = suite.unique("conformance-no-such-key");
  if (const KeyKind* kind = first_announced(suite))
    if (const auto generated = keys.generate(labelled(kind->spec, suite.unique("key")))) id = generated->key_id;
  const auto wrapped = keys.wrap(id, random_bytes(suite, 32));
  if (wrapped) return Verdict::fail("answers wrap but does not announce 'wrap'");
  if (wrapped.error().code != ErrorCode::unsupported)
    return Verdict::fail("wrap(" + key_name(id) + ", 32 bytes) without 'wrap' announced returned " +
                         describe(wrapped.error()) + ", expected unsupported");
  const auto unwrapped = keys.unwrap(id, random_bytes(suite, 256));
  if (unwrapped) return Verdict::fail("answers unwrap but does not announce 'wrap'");
  if (unwrapped.error().code != ErrorCode::unsupported)
    return Verdict::fail("unwrap(" + key_name(id) + ", 256 bytes) without 'wrap' announced returned " +
                         describe(unwrapped.error()) + ", expected unsupported");
  return Verdict::pass("does not announce 'wrap'; wrap and unwrap return unsupported");
}

Verdict wrap(Suite& suite, KeyCalls& keys) {
  return suite.announces(SIGNET_CAP_KEYS_WRAP) ? wrap_announced(suite, keys) : wrap_unannounced(suite, keys);
}

Verdict import_announced(Suite& suite, KeyCalls& keys, const EVP_PKEY* key, const std::string& pem) {
  const std::string expected_der = pkix::public_key_der(key);
  const auto imported = keys.import_key(pem, suite.unique("import"));
  if (!imported)
    return Verdict::fail("import_key(P-256 PKCS#8 PEM) returned " + describe(imported.error()) + ", expected a key");
  if (imported->public_key_der != expected_der)
    return Verdict::fail("import_key(P-256 PKCS#8 PEM) returned a public_key_der that is not the imported key's");
  if (imported->type != KeyType::ec)
    return Verdict::fail("import_key(P-256 PKCS#8 PEM) returned a key of type " + type_name(imported->type));
  if (auto why = sign_and_verify(keys, imported.value(), SignatureAlgorithm::ecdsa_sha256, message_to_sign(suite));
      !why.empty())
    return Verdict::fail(why + " (an imported key)");
  const auto garbage = keys.import_key("garbage", suite.unique("import"));
  if (garbage) return Verdict::fail("import_key(\"garbage\") returned a key, expected an error");
  return Verdict::pass("an imported P-256 key keeps its public key and signs; \"garbage\" is refused (" +
                       std::string(to_string(garbage.error().code)) + ")");
}

Verdict import_unannounced(Suite& suite, KeyCalls& keys, const std::string& pem) {
  const auto imported = keys.import_key(pem, suite.unique("import"));
  if (imported) return Verdict::fail("answers import_key but does not announce 'import'");
  if (imported.error().code != ErrorCode::unsupported)
    return Verdict::fail("import_key(P-256 PKCS#8 PEM) without 'import' announced returned " +
                         describe(imported.error()) + ", expected unsupported");
  return Verdict::pass("does not announce 'import'; import_key returns unsupported");
}

Verdict key_import(Suite& suite, KeyCalls& keys) {
  auto key = pkix::generate_key({"ecdsa", 0, "P-256"});
  if (!key) return Verdict::fail("the kit could not make a P-256 key to import: " + describe(key.error()));
  const std::string pem = pkix::private_key_pem(key.value().get());
  return suite.announces(SIGNET_CAP_KEYS_IMPORT) ? import_announced(suite, keys, key.value().get(), pem)
                                                 : import_unannounced(suite, keys, pem);
}

// What the threads of the concurrency case saw.
struct KeyTally {
  std::mutex mutex;
  std::vector<std::string> key_ids;
  std::string first_problem;

  void note(const std::string& problem) {
    std::lock_guard lock(mutex);
    if (first_problem.empty()) first_problem = problem;
  }
};

// One thread: generates a key, signs with it, and verifies the signature.
void generate_and_sign(KeyCalls& keys, const KeyKind& kind, const std::string& label, const std::string& message,
                       KeyTally& tally) {
  const auto generated = keys.generate(labelled(kind.spec, label));
  if (!generated) {
    tally.note("generate(" + kind.spec_text + ") on one of several threads returned " + describe(generated.error()));
    return;
  }
  {
    std::lock_guard lock(tally.mutex);
    tally.key_ids.push_back(generated->key_id);
  }
  if (auto why = sign_and_verify(keys, generated.value(), kind.algorithms.front(), message); !why.empty())
    tally.note(why + " (on one of several threads)");
}

Verdict concurrency(Suite& suite, KeyCalls& keys) {
  const KeyKind* kind = first_announced(suite);
  if (!kind) return Verdict::skip("announces no key type (ec, rsa, ed25519)");
  const int count = std::max(1, suite.options.threads);
  std::vector<std::string> labels;
  for (int i = 0; i < count; ++i) labels.push_back(suite.unique("key"));
  const std::string message = message_to_sign(suite);
  KeyTally tally;
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] { generate_and_sign(keys, *kind, labels[i], message, tally); });
  for (auto& t : threads) t.join();

  if (!tally.first_problem.empty()) return Verdict::fail(tally.first_problem);
  const std::set<std::string> distinct(tally.key_ids.begin(), tally.key_ids.end());
  if (distinct.size() != static_cast<std::size_t>(count))
    return Verdict::fail(std::to_string(count) + " threads generated " + kind->spec_text + " keys at once and got only " +
                         std::to_string(distinct.size()) + " distinct key_ids");
  return Verdict::pass(std::to_string(count) + " threads each generated an " + kind->spec_text +
                       " key and signed with it; " + std::to_string(count) + " distinct key_ids");
}

// Hostile calls that must each be refused; collects those that were not.
class MustRefuse {
 public:
  void check(const std::string& call, const Result<KeyInfo>& r) {
    ++calls_;
    if (r) accepted_.push_back(call + " returned key " + one_line(r->key_id));
  }
  void check(const std::string& call, const Result<std::string>& r) {
    ++calls_;
    if (r) accepted_.push_back(call + " returned a signature of " + std::to_string(r->size()) + " bytes");
  }
  int calls() const { return calls_; }
  std::string accepted() const {
    std::string out;
    for (const auto& a : accepted_) out += (out.empty() ? "" : "; ") + a;
    return out;
  }

 private:
  int calls_ = 0;
  std::vector<std::string> accepted_;
};

Verdict hostile_inputs(Suite& suite, KeyCalls& keys) {
  const auto thrown_before = suite.calls.exceptions().size();
  const KeyKind* kind = first_announced(suite);
  const KeySpec usual = kind ? kind->spec : kEc.spec;
  const SignatureAlgorithm algorithm = kind ? kind->algorithms.front() : SignatureAlgorithm::ecdsa_sha256;
  const std::string huge(kHugeInput, 'k');

  MustRefuse must;
  must.check("find(\"\")", keys.find(""));
  must.check("find(64 KiB id)", keys.find(huge));
  must.check("find(invalid UTF-8)", keys.find("\xff\xfe"));
  must.check("sign(\"\", " + std::string(algorithm_name(algorithm)) + ")", keys.sign("", algorithm, "message"));
  must.check("generate(rsa 1 bit)", keys.generate({KeyType::rsa, 1, "", suite.unique("key")}));
  must.check("generate(ec P-9999)", keys.generate({KeyType::ec, 0, "P-9999", suite.unique("key")}));
  must.check("generate(key type 42)", keys.generate({static_cast<KeyType>(42), 0, "", suite.unique("key")}));
  // A long label is odd but not wrong: it only must not throw.
  (void)keys.generate(labelled(usual, huge));

  const auto thrown = suite.calls.exceptions();
  if (thrown.size() > thrown_before)
    return Verdict::fail(std::to_string(thrown.size() - thrown_before) + " call(s) threw on hostile input, first: " +
                         one_line(thrown[thrown_before]));
  if (const auto accepted = must.accepted(); !accepted.empty())
    return Verdict::fail(accepted + "; expected an error");
  return Verdict::pass(std::to_string(must.calls()) + " hostile calls all refused; no exception crossed");
}

}  // namespace

void run_keys_cases(Suite& suite) {
  auto& provider = static_cast<KeyProvider&>(*suite.instance);
  KeyCalls keys(suite, provider);
  suite.run("keys.generate_ec", [&]() -> Verdict { return generate(suite, keys, kEc); });
  suite.run("keys.generate_rsa", [&]() -> Verdict { return generate(suite, keys, kRsa); });
  suite.run("keys.generate_ed25519", [&]() -> Verdict { return generate(suite, keys, kEd25519); });
  suite.run("keys.no_export", [&]() -> Verdict { return no_export(suite, keys); });
  suite.run("keys.unknown_id", [&]() -> Verdict { return unknown_id(suite, keys); });
  suite.run("keys.wrap", [&]() -> Verdict { return wrap(suite, keys); });
  suite.run("keys.import", [&]() -> Verdict { return key_import(suite, keys); });
  suite.run("keys.concurrency", [&]() -> Verdict { return concurrency(suite, keys); });
  suite.run("keys.hostile_inputs", [&]() -> Verdict { return hostile_inputs(suite, keys); });
}

}  // namespace signet::host::conformance
