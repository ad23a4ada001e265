#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"

#include <pkix/csr.hpp>
#include <pkix/keys.hpp>

namespace signet::host {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kParkedRetry{1};

// The key as the store holds it: version 1 of the bundle.
Result<pkix::EvpPkeyPtr> stored_key(SecretStore& store, const std::string& path) {
  auto found = store.get({path, std::nullopt});
  if (!found) return std::move(found).error();
  const json bundle = json::parse(found->data, nullptr, false);
  if (!bundle.is_object() || !bundle.contains("private_key"))
    return make_error(ErrorCode::internal, "the bundle at " + path + " holds no private key");
  return pkix::read_private_key_pem(bundle.at("private_key").get<std::string>(), "");
}

class KeygenStep final : public Step {
 public:
  KeygenStep(std::string instance, std::shared_ptr<SecretStore> store, std::shared_ptr<KeygenGate> gate)
      : instance_(std::move(instance)), store_(std::move(store)), gate_(std::move(gate)) {}
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "keygen"; }

  StepOutcome run(RequestRecord& q) override {
    const IssueRequest in = issue_request_from(q.input);
    if (!in.csr.empty()) return StepOutcome::done();  // the caller holds the key
    const std::string path = bundle_path(q.tenant_id, q.state.certificate_id.empty() ? q.id : q.state.certificate_id);
    // A rerun after a crash finds the key it already stored and keeps it.
    auto key = stored_key(*store_, path);
    if (!key && key.error().code == ErrorCode::not_found) {
      auto made = make_and_store(in, path);
      if (const auto* parked = std::get_if<StepOutcome>(&made)) return *parked;
      key = std::move(std::get<Result<pkix::EvpPkeyPtr>>(made));
    }
    if (!key) return StepOutcome::fail(plugin_failure(instance_, std::move(key).error()));
    const std::string csr = pkix::make_csr_pem(key.value().get(), {in.common_name, in.dns, in.ip, in.email, in.uri});
    if (csr.empty()) return StepOutcome::fail(make_error(ErrorCode::internal, "cannot make a CSR for the new key"));
    q.state.csr = csr;
    q.state.key_store = instance_;
    q.state.key_path = path;
    return StepOutcome::done();
  }

 private:
  std::variant<StepOutcome, Result<pkix::EvpPkeyPtr>> make_and_store(const IssueRequest& in, const std::string& path) {
    const bool expensive = in.key_type == "rsa";  // EC and Ed25519 keys take microseconds
    std::optional<KeygenGate::Slot> slot = expensive ? gate_->enter() : std::nullopt;
    if (expensive && !slot) return StepOutcome::wait("keygen: all RSA key generation slots are busy", kParkedRetry);
    auto key = pkix::generate_key({in.key_type, in.key_bits, in.key_curve});
    slot.reset();
    if (!key) return Result<pkix::EvpPkeyPtr>(std::move(key).error());
    PutRequest put;
    put.path = path;
    put.data = json{{"private_key", pkix::private_key_pem(key.value().get())}}.dump();
    put.cas = 0;
    put.metadata = {{"kind", "certificate bundle"}};
    auto written = store_->put(put);
    // A concurrent rerun stored its key first: use that one.
    if (!written && written.error().code == ErrorCode::conflict) return stored_key(*store_, path);
    if (!written) return Result<pkix::EvpPkeyPtr>(std::move(written).error());
    return key;
  }

  std::string instance_;
  std::shared_ptr<SecretStore> store_;
  std::shared_ptr<KeygenGate> gate_;
};

}  // namespace

std::shared_ptr<Step> make_keygen_step(std::string instance, std::shared_ptr<SecretStore> store,
                                       std::shared_ptr<KeygenGate> gate) {
  return std::make_shared<KeygenStep>(std::move(instance), std::move(store), std::move(gate));
}

}  // namespace signet::host
