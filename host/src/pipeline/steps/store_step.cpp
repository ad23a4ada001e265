#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

class StoreStep final : public Step {
 public:
  StoreStep(std::string instance, std::shared_ptr<SecretStore> store) : instance_(std::move(instance)), store_(std::move(store)) {}
  std::string name() const override { return "store:" + instance_; }

  StepOutcome run(RequestRecord& q) override {
    PutRequest put;
    put.path = "tenants/" + q.tenant_id + "/certificates/" + q.state.value("certificate_id", q.id) + "/bundle";
    put.data = nlohmann::json{{"certificate", q.state.value("certificate_pem", "")},
                              {"chain", q.state.value("chain", nlohmann::json::array())}}.dump();
    put.cas = 0;  // first write only: a rerun after a crash finds it already there
    put.metadata = {{"request_id", q.id}};
    auto written = store_->put(put);
    if (!written && written.error().code != ErrorCode::conflict) return StepOutcome::fail(plugin_failure(instance_, std::move(written).error()));
    q.state["store"] = instance_;
    q.state["store_path"] = put.path;
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
