// keys-pkcs11 against real SoftHSM2 tokens: keys made on the token sign
// what OpenSSL verifies, stay sensitive and never extractable (pkcs11-tool
// says so), several threads sign at once, lost sessions and a restarted
// module are recovered, and every start-up mistake has a one-line reason.
#include "pkcs11_keys.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <atomic>
#include <crypto/random.hpp>
#include <mutex>
#include <pkix/keys.hpp>
#include <thread>

#include "softhsm_token.hpp"

namespace signet::keys_pkcs11 {
namespace {

class TestRandom final : public SecureRandom {
 public:
  void fill(std::span<std::uint8_t> out) override {
    const std::string bytes = crypto::random_bytes(out.size());
    std::copy(bytes.begin(), bytes.end(), out.begin());
  }
};

class RecordingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message, const nlohmann::json&) override {
    std::lock_guard lock(mutex_);
    messages_ += std::string(message) + "\n";
  }
  std::string messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::string messages_;
};

// OpenSSL, not the token, checks every signature.
bool verifies(const std::string& spki, SignatureAlgorithm algorithm, const std::string& message,
              const std::string& signature) {
  auto key = pkix::public_key_from_der(spki);
  if (!key) return false;
  pkix::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const bool sha384 =
      algorithm == SignatureAlgorithm::rsa_pkcs1_sha384 || algorithm == SignatureAlgorithm::ecdsa_sha384;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, sha384 ? EVP_sha384() : EVP_sha256(), nullptr, key.value().get()) != 1)
    return false;
  if (algorithm == SignatureAlgorithm::rsa_pss_sha256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

class Pkcs11KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(token_.ready()) << token_.log();
    token_.use_in_this_process();
  }

  Result<std::unique_ptr<Pkcs11Keys>> open(std::string pin = "", std::size_t sessions = 8, std::string label = "") {
    auto module = Module::load(test::softhsm_module());
    if (!module) return std::move(module).error();
    TokenConfig config;
    config.label = label.empty() ? token_.label() : label;
    config.pin = pin.empty() ? token_.pin() : pin;
    config.max_sessions = sessions;
    auto token = Token::open(std::move(module).value(), config);
    if (!token) return std::move(token).error();
    token.value()->set_logger(&log_);
    return std::make_unique<Pkcs11Keys>(std::move(token).value(), random_, oaep_);
  }

  std::unique_ptr<Pkcs11Keys> open_or_fail() {
    auto keys = open();
    EXPECT_TRUE(keys) << keys.error().message;
    return keys ? std::move(keys).value() : nullptr;
  }

  test::SoftHsmToken token_;
  TestRandom random_;
  RecordingLogger log_;
  Pkcs11Keys::OaepHash oaep_ = Pkcs11Keys::OaepHash::sha1;  // all SoftHSM2 2.6 decrypts
};

TEST_F(Pkcs11KeysTest, KeysMadeOnTheTokenSignWhatOpenSslVerifies) {
  auto keys = open_or_fail();
  ASSERT_TRUE(keys);
  struct Case {
    KeySpec spec;
    std::vector<SignatureAlgorithm> algorithms;
  };
  const std::vector<Case> cases = {
      {{KeyType::rsa, 2048, "", "rsa-2048"},
       {SignatureAlgorithm::rsa_pkcs1_sha256, SignatureAlgorithm::rsa_pkcs1_sha384,
        SignatureAlgorithm::rsa_pss_sha256}},
      {{KeyType::ec, 0, "P-256", "ec-p256"}, {SignatureAlgorithm::ecdsa_sha256}},
      {{KeyType::ec, 0, "P-384", "ec-p384"}, {SignatureAlgorithm::ecdsa_sha384, SignatureAlgorithm::ecdsa_sha256}},
  };
  const std::string message = "to be signed by a key that never leaves the token";
  for (const auto& c : cases) {
    auto made = keys->generate(c.spec);
    ASSERT_TRUE(made) << c.spec.label << ": " << made.error().message;
    EXPECT_EQ(made.value().type, c.spec.type);
    for (auto algorithm : c.algorithms) {
      auto signature = keys->sign(made.value().key_id, algorithm, message);
      ASSERT_TRUE(signature) << signature.error().message;
      EXPECT_TRUE(verifies(made.value().public_key_der, algorithm, message, signature.value())) << c.spec.label;
      EXPECT_FALSE(verifies(made.value().public_key_der, algorithm, message + "!", signature.value()));
    }
    const auto wrong =
        c.spec.type == KeyType::rsa ? SignatureAlgorithm::ecdsa_sha256 : SignatureAlgorithm::rsa_pkcs1_sha256;
    EXPECT_EQ(keys->sign(made.value().key_id, wrong, message).error().code, ErrorCode::invalid_argument);
  }
  // Another process (or the next start) finds them by id, with the same public key.
  auto again = open_or_fail();
  ASSERT_TRUE(again);
  auto made = keys->generate({KeyType::ec, 0, "P-256", "found-later"});
  ASSERT_TRUE(made);
  auto found = again->find(made.value().key_id);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found.value().public_key_der, made.value().public_key_der);
  auto by_label = again->find("label:found-later");
  ASSERT_TRUE(by_label) << by_label.error().message;
  EXPECT_EQ(by_label.value().public_key_der, made.value().public_key_der);
}

TEST_F(Pkcs11KeysTest, PrivateKeysAreSensitiveAndNeverExtractable) {
  auto keys = open_or_fail();
  ASSERT_TRUE(keys);
  ASSERT_TRUE(keys->generate({KeyType::rsa, 3072, "", "ca-rsa"}));
  ASSERT_TRUE(keys->generate({KeyType::ec, 0, "P-384", "ca-ec"}));
  for (const char* label : {"ca-rsa", "ca-ec"}) {
    const std::string listing = token_.private_key_listing(label);
    ASSERT_FALSE(listing.empty()) << token_.pkcs11_tool("--list-objects").output;
    EXPECT_NE(listing.find("Access:     sensitive, always sensitive, never extractable, local"), std::string::npos)
        << listing;
  }
  EXPECT_EQ(keys->generate({KeyType::ec, 0, "P-256", "ca-ec"}).error().code, ErrorCode::conflict);  // label taken
  EXPECT_EQ(keys->generate({KeyType::rsa, 1024, "", "small"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(keys->generate({KeyType::ec, 0, "P-521", "p521"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(keys->generate({KeyType::ed25519, 0, "", "ed"}).error().code, ErrorCode::unsupported);
}

TEST_F(Pkcs11KeysTest, WrapsWithThePublicHalfAndUnwrapsOnTheToken) {
  auto keys = open_or_fail();
  ASSERT_TRUE(keys);
  auto wrapping = keys->generate({KeyType::rsa, 2048, "", "master-wrap"});
  ASSERT_TRUE(wrapping);
  const std::string secret = crypto::random_bytes(32);
  auto wrapped = keys->wrap(wrapping.value().key_id, secret);
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  EXPECT_EQ(wrapped.value().size(), 256u);
  auto unwrapped = keys->unwrap(wrapping.value().key_id, wrapped.value());
  ASSERT_TRUE(unwrapped) << unwrapped.error().message;
  EXPECT_EQ(unwrapped.value(), secret);
  std::string tampered = wrapped.value();
  tampered[10] ^= 1;
  auto bad = keys->unwrap(wrapping.value().key_id, tampered);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument) << bad.error().message;
  // A token that refuses the configured hash says so, and what to set.
  oaep_ = Pkcs11Keys::OaepHash::sha256;
  auto sha256 = open_or_fail();
  ASSERT_TRUE(sha256);
  auto refused = sha256->unwrap(wrapping.value().key_id, sha256->wrap(wrapping.value().key_id, secret).value());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("oaep_hash: sha1"), std::string::npos) << refused.error().message;
}

TEST_F(Pkcs11KeysTest, UsesKeysMadeOutsideSignetByLabel) {
  const auto made = token_.pkcs11_tool("--keypairgen --key-type EC:prime256v1 --label outside --id 0a0b");
  ASSERT_EQ(made.status, 0) << made.output;
  auto keys = open_or_fail();
  ASSERT_TRUE(keys);
  for (const char* key_id : {"label:outside", "0a0b"}) {
    auto found = keys->find(key_id);
    ASSERT_TRUE(found) << key_id << ": " << found.error().message;
    auto signature = keys->sign(key_id, SignatureAlgorithm::ecdsa_sha256, "m");
    ASSERT_TRUE(signature);
    EXPECT_TRUE(verifies(found.value().public_key_der, SignatureAlgorithm::ecdsa_sha256, "m", signature.value()));
  }
  EXPECT_EQ(keys->find("label:absent").error().code, ErrorCode::not_found);
  EXPECT_EQ(keys->find("absent").error().code, ErrorCode::not_found);
  EXPECT_EQ(keys->find("").error().code, ErrorCode::not_found);
  // A bare name that is no id is a label (what a store's `key_id` names).
  ASSERT_TRUE(keys->find("outside"));
}

TEST_F(Pkcs11KeysTest, SeveralThreadsSignAtOnce) {
  auto opened = open("", 3);  // fewer sessions than threads: some wait their turn
  ASSERT_TRUE(opened);
  auto keys = std::move(opened).value();
  auto key = keys->generate({KeyType::ec, 0, "P-256", "busy"});
  ASSERT_TRUE(key);
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const std::string message = "thread " + std::to_string(t) + " message " + std::to_string(i);
        auto signature = keys->sign(key.value().key_id, SignatureAlgorithm::ecdsa_sha256, message);
        const bool ok = signature && verifies(key.value().public_key_der, SignatureAlgorithm::ecdsa_sha256, message,
                                              signature.value());
        (ok ? good : bad)++;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 240);
  EXPECT_EQ(bad.load(), 0);
}

// What a network HSM's reboot or a token pulled and put back does to a
// process: its sessions are gone, then its whole library state.
TEST_F(Pkcs11KeysTest, RecoversLostSessionsAndARestartedModuleWithoutARestart) {
  auto keys = open_or_fail();
  ASSERT_TRUE(keys);
  auto key = keys->generate({KeyType::rsa, 2048, "", "survivor"});
  ASSERT_TRUE(key);
  ASSERT_TRUE(keys->sign(key.value().key_id, SignatureAlgorithm::rsa_pkcs1_sha256, "before"));
  // The same module, loaded again, is the same library instance: closing
  // every session of the slot there closes ours (and logs us out).
  auto other = Module::load(test::softhsm_module());
  ASSERT_TRUE(other);
  Module& module = *other.value();
  CK_SLOT_ID slots[8];
  CK_ULONG count = 8;
  ASSERT_EQ(module->C_GetSlotList(CK_TRUE, slots, &count), CKR_OK);
  for (CK_ULONG i = 0; i < count; ++i) module->C_CloseAllSessions(slots[i]);
  auto after_close = keys->sign(key.value().key_id, SignatureAlgorithm::rsa_pkcs1_sha256, "after close");
  ASSERT_TRUE(after_close) << after_close.error().message;
  EXPECT_TRUE(
      verifies(key.value().public_key_der, SignatureAlgorithm::rsa_pkcs1_sha256, "after close", after_close.value()));
  // Now the library itself is finalised under us.
  module->C_Finalize(nullptr);
  auto after_finalize = keys->sign(key.value().key_id, SignatureAlgorithm::rsa_pkcs1_sha256, "after finalize");
  ASSERT_TRUE(after_finalize) << after_finalize.error().message;
  EXPECT_TRUE(verifies(key.value().public_key_der, SignatureAlgorithm::rsa_pkcs1_sha256, "after finalize",
                       after_finalize.value()));
  EXPECT_TRUE(keys->health());
  // The operator hears of both.
  EXPECT_NE(log_.messages().find("PKCS#11 sessions were closed"), std::string::npos) << log_.messages();
  EXPECT_NE(log_.messages().find("the PKCS#11 token went away"), std::string::npos) << log_.messages();
}

TEST_F(Pkcs11KeysTest, StartUpMistakesFailAtOnceWithAOneLineReason) {
  auto no_module = Module::load("/usr/lib/nothing/libnothing-pkcs11.so");
  ASSERT_FALSE(no_module);
  EXPECT_EQ(no_module.error().code, ErrorCode::invalid_config);
  EXPECT_NE(no_module.error().message.find("does not exist"), std::string::npos);
  auto not_a_module = Module::load("/usr/lib/x86_64-linux-gnu/libz.so.1");
  ASSERT_FALSE(not_a_module);
  EXPECT_NE(not_a_module.error().message.find("not a PKCS#11 module"), std::string::npos)
      << not_a_module.error().message;

  auto no_token = open("", 8, "no-such-token");
  ASSERT_FALSE(no_token);
  EXPECT_EQ(no_token.error().code, ErrorCode::invalid_config);
  EXPECT_NE(no_token.error().message.find("no token 'no-such-token'"), std::string::npos) << no_token.error().message;
  EXPECT_NE(no_token.error().message.find("'" + token_.label() + "'"), std::string::npos);  // names what is there

  auto wrong_pin = open("0000-wrong");
  ASSERT_FALSE(wrong_pin);
  EXPECT_EQ(wrong_pin.error().code, ErrorCode::invalid_config);
  EXPECT_NE(wrong_pin.error().message.find("the PIN is wrong"), std::string::npos) << wrong_pin.error().message;
  EXPECT_NE(wrong_pin.error().message.find("CKR_PIN_INCORRECT"), std::string::npos);
  EXPECT_EQ(wrong_pin.error().message.find("0000-wrong"), std::string::npos);  // never the PIN itself
  for (const auto* e : {&no_module.error(), &no_token.error(), &wrong_pin.error()})
    EXPECT_EQ(e->message.find('\n'), std::string::npos) << e->message;
}

}  // namespace
}  // namespace signet::keys_pkcs11
