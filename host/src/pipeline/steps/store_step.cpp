#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "pki/ca_chain.hpp"
#include "pki/certificate_info.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// What a store learns about the certificate in its bundle (never secret;
// docs/plugin-authoring.md, "Certificate bundles"): enough for a store that
// delivers certificates elsewhere (store-vault's KV path and fields) to
// name and describe it without asking the host.
json bundle_metadata(const RequestRecord& q, const CertificateInfo& info) {
  const IssueRequest in = issue_request_from(q.input);
  json m = {{"kind", "certificate bundle"},
            {"request_id", q.id},
            {"tenant_id", q.tenant_id},
            {"certificate_id", q.state.certificate_id},
            {"lineage", in.lineage.empty() ? q.state.certificate_id : in.lineage},
            {"service", in.service},
            {"common_name", info.common_name.empty() ? in.common_name : info.common_name},
            {"profile", in.profile},
            {"serial_number", info.serial_hex},
            {"not_before", to_rfc3339(info.not_before)},
            {"not_after", to_rfc3339(info.not_after)},
            {"status", "issued"}};
  if (!in.renews.empty()) m["renews"] = in.renews;
  return m;
}

// The bundle of a key made on the server: version 1 (the key, written by the
// keygen step) becomes version 2 with the certificate and its chain (ending
// with the root, as the bundle download gives it), so a
// consumer of the store finds all three in one place. Certificates whose key
// the caller holds are public and live in the metadata database only.
class StoreStep final : public Step {
 public:
  StoreStep(std::string instance, std::shared_ptr<SecretStore> store, std::shared_ptr<CertificateAuthority> ca)
      : instance_(std::move(instance)), store_(std::move(store)), ca_(std::move(ca)) {}
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "store:" + instance_; }

  StepOutcome run(RequestRecord& q) override {
    if (q.state.key_path.empty()) return StepOutcome::done();  // the caller holds the key
    const std::string path = q.state.key_path;
    auto info = read_certificate(q.state.certificate_pem);
    if (!info) return StepOutcome::fail(std::move(info).error());
    auto first = store_->get({path, 1});
    if (!first) return StepOutcome::fail(plugin_failure(instance_, std::move(first).error()));
    json bundle = json::parse(first->data, nullptr, false);
    if (!bundle.is_object()) return StepOutcome::fail(make_error(ErrorCode::internal, "the bundle at " + path + " is not JSON"));
    bundle["certificate"] = q.state.certificate_pem;
    bundle["chain"] = chain_with_root(q.state.chain, q.state.certificate_pem, ca_.get());
    PutRequest put;
    put.path = path;
    put.data = bundle.dump();
    put.cas = 1;  // exactly once: a rerun after a crash finds version 2 there
    put.metadata = bundle_metadata(q, info.value());
    auto written = store_->put(put);
    if (!written && written.error().code != ErrorCode::conflict)
      return StepOutcome::fail(plugin_failure(instance_, std::move(written).error()));
    return StepOutcome::done();
  }

 private:
  std::string instance_;
  std::shared_ptr<SecretStore> store_;
  std::shared_ptr<CertificateAuthority> ca_;  // the pipeline's, for the root at the chain's end
};

}  // namespace

std::shared_ptr<Step> make_store_step(std::string instance, std::shared_ptr<SecretStore> store,
                                      std::shared_ptr<CertificateAuthority> ca) {
  return std::make_shared<StoreStep>(std::move(instance), std::move(store), std::move(ca));
}

}  // namespace signet::host
