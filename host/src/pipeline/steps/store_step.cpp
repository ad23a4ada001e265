#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// The bundle of a key made on the server: version 1 (the key, written by the
// keygen step) becomes version 2 with the certificate and its chain, so a
// consumer of the store finds all three in one place. Certificates whose key
// the caller holds are public and live in the metadata database only.
class StoreStep final : public Step {
 public:
  StoreStep(std::string instance, std::shared_ptr<SecretStore> store) : instance_(std::move(instance)), store_(std::move(store)) {}
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "store:" + instance_; }

  StepOutcome run(RequestRecord& q) override {
    if (q.state.key_path.empty()) return StepOutcome::done();  // the caller holds the key
    const std::string path = q.state.key_path;
    auto first = store_->get({path, 1});
    if (!first) return StepOutcome::fail(plugin_failure(instance_, std::move(first).error()));
    json bundle = json::parse(first->data, nullptr, false);
    if (!bundle.is_object()) return StepOutcome::fail(make_error(ErrorCode::internal, "the bundle at " + path + " is not JSON"));
    bundle["certificate"] = q.state.certificate_pem;
    bundle["chain"] = q.state.chain;
    PutRequest put;
    put.path = path;
    put.data = bundle.dump();
    put.cas = 1;  // exactly once: a rerun after a crash finds version 2 there
    put.metadata = {{"kind", "certificate bundle"}, {"request_id", q.id}};
    auto written = store_->put(put);
    if (!written && written.error().code != ErrorCode::conflict)
      return StepOutcome::fail(plugin_failure(instance_, std::move(written).error()));
    return StepOutcome::done();
  }

 private:
  std::string instance_;
  std::shared_ptr<SecretStore> store_;
};

}  // namespace

std::shared_ptr<Step> make_store_step(std::string instance, std::shared_ptr<SecretStore> store) {
  return std::make_shared<StoreStep>(std::move(instance), std::move(store));
}

}  // namespace signet::host
