// Wrappers that keep exceptions on the plugin's side of the boundary
// (the idea of Botan's FFI guard, src/lib/ffi/ffi_util.h). The SIGNET_PLUGIN
// macro wraps every instance in the wrapper of its kind; these templates are
// instantiated inside the plugin library, so the catch runs there.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <signet/ca.hpp>
#include <signet/keys.hpp>
#include <signet/notifier.hpp>
#include <signet/store.hpp>

namespace signet {

template <class F>
auto guard(F&& f) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("plugin threw: ") + e.what());
  } catch (...) {
    return make_error(ErrorCode::internal, "plugin threw a non-standard exception");
  }
}

namespace detail {

template <class Interface>
class GuardedBase : public Interface {
 public:
  explicit GuardedBase(std::unique_ptr<Interface> inner) : inner_(std::move(inner)) {}
  Result<void> health() override { return guard([&] { return inner_->health(); }); }

 protected:
  std::unique_ptr<Interface> inner_;
};

class GuardedCa final : public GuardedBase<CertificateAuthority> {
 public:
  using GuardedBase::GuardedBase;
  Result<SignOutcome> sign(const SignRequest& r) override { return guard([&] { return inner_->sign(r); }); }
  Result<std::vector<std::string>> chain() override { return guard([&] { return inner_->chain(); }); }
  Result<RevokeOutcome> revoke(const RevokeRequest& r) override { return guard([&] { return inner_->revoke(r); }); }
  Result<std::string> sign_crl(const CrlRequest& r) override { return guard([&] { return inner_->sign_crl(r); }); }
  Result<std::string> certify_ocsp_signer(const OcspSignerRequest& r) override {
    return guard([&] { return inner_->certify_ocsp_signer(r); });
  }
  Result<StatusUrls> published_status() override { return guard([&] { return inner_->published_status(); }); }
  Result<std::vector<std::string>> initialize(const CaInit& r) override { return guard([&] { return inner_->initialize(r); }); }
  Result<std::vector<std::string>> import_ca(const CaImport& r) override { return guard([&] { return inner_->import_ca(r); }); }
};

class GuardedStore final : public GuardedBase<SecretStore> {
 public:
  using GuardedBase::GuardedBase;
  Result<std::uint64_t> put(const PutRequest& r) override { return guard([&] { return inner_->put(r); }); }
  Result<Secret> get(const GetRequest& r) override { return guard([&] { return inner_->get(r); }); }
  Result<std::vector<std::string>> list(const std::string& p) override { return guard([&] { return inner_->list(p); }); }
  Result<void> remove(const DeleteRequest& r) override { return guard([&] { return inner_->remove(r); }); }
  Result<void> destroy(const DeleteRequest& r) override { return guard([&] { return inner_->destroy(r); }); }
};

class GuardedRequestSource final : public RequestSource {
 public:
  explicit GuardedRequestSource(RequestSource* inner) : inner_(inner) {}
  std::string system() const override {
    try {
      return inner_->system();
    } catch (...) {
      return {};  // matches no system: the host uses no source it cannot name
    }
  }
  Result<std::vector<OfferedRequest>> offers(std::size_t n) override { return guard([&] { return inner_->offers(n); }); }
  Result<void> taken(const OfferedRequest& o, const std::string& id) override {
    return guard([&] { return inner_->taken(o, id); });
  }
  Result<void> refused(const OfferedRequest& o, const Error& why) override {
    return guard([&] { return inner_->refused(o, why); });
  }
  Result<Approval> approval(const ExternalRef& r) override { return guard([&] { return inner_->approval(r); }); }

 private:
  RequestSource* inner_;  // owned by the notifier it came from
};

class GuardedNotifier final : public GuardedBase<Notifier> {
 public:
  explicit GuardedNotifier(std::unique_ptr<Notifier> inner) : GuardedBase(std::move(inner)) {
    RequestSource* source = nullptr;
    try {
      source = inner_->request_source();
    } catch (...) {
      source = nullptr;
    }
    if (source) source_ = std::make_unique<GuardedRequestSource>(source);
  }
  Result<void> notify(const Event& e) override { return guard([&] { return inner_->notify(e); }); }
  RequestSource* request_source() override { return source_.get(); }

 private:
  std::unique_ptr<GuardedRequestSource> source_;
};

class GuardedKeys final : public GuardedBase<KeyProvider> {
 public:
  using GuardedBase::GuardedBase;
  Result<KeyInfo> generate(const KeySpec& s) override { return guard([&] { return inner_->generate(s); }); }
  Result<KeyInfo> find(const std::string& id) override { return guard([&] { return inner_->find(id); }); }
  Result<std::string> sign(const std::string& id, SignatureAlgorithm a, const std::string& m) override {
    return guard([&] { return inner_->sign(id, a, m); });
  }
  Result<std::string> wrap(const std::string& id, const std::string& p) override { return guard([&] { return inner_->wrap(id, p); }); }
  Result<std::string> unwrap(const std::string& id, const std::string& c) override { return guard([&] { return inner_->unwrap(id, c); }); }
  Result<KeyInfo> import_key(const std::string& pem, const std::string& label) override {
    return guard([&] { return inner_->import_key(pem, label); });
  }
};

template <class Interface> struct KindOf;
template <> struct KindOf<CertificateAuthority> { static constexpr std::uint32_t value = SIGNET_KIND_CA; using Guarded = GuardedCa; };
template <> struct KindOf<SecretStore> { static constexpr std::uint32_t value = SIGNET_KIND_STORE; using Guarded = GuardedStore; };
template <> struct KindOf<Notifier> { static constexpr std::uint32_t value = SIGNET_KIND_NOTIFIER; using Guarded = GuardedNotifier; };
template <> struct KindOf<KeyProvider> { static constexpr std::uint32_t value = SIGNET_KIND_KEYS; using Guarded = GuardedKeys; };

template <class Interface>
Result<std::shared_ptr<Plugin>> create_guarded(Result<std::unique_ptr<Interface>> made) {
  if (!made) return std::move(made).error();
  if (!made.value()) return make_error(ErrorCode::internal, "factory returned no instance");
  using Guarded = typename KindOf<Interface>::Guarded;
  return std::shared_ptr<Plugin>(std::make_shared<Guarded>(std::move(made).value()));
}

}  // namespace detail
}  // namespace signet
