#include "pipeline/build_pipelines.hpp"

#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

std::shared_ptr<const Pipeline> build_issue_like(const std::string& op, const PipelineConfig& p, const Config& config,
                                                 const PluginInstances& instances,
                                                 const std::shared_ptr<KeygenGate>& gate) {
  std::vector<std::shared_ptr<Step>> steps;
  for (const auto& check : p.validate)
    if (check == "profile-policy") steps.push_back(make_profile_policy_step(config));
  // Keys are made only where they can be kept: a pipeline without a store
  // takes CSRs only.
  if (!p.store.empty()) steps.push_back(make_keygen_step(p.store, instances.store(p.store), gate));
  const PluginInstance* ca = instances.find(p.sign);
  const bool host_publishes = ca && (ca->capabilities & SIGNET_CAP_CA_CRL) && !(ca->capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS);
  steps.push_back(make_sign_step(p.sign, instances.ca(p.sign), ca ? ca->capabilities : 0,
                                 host_publishes ? &config.revocation : nullptr));
  if (!p.store.empty()) steps.push_back(make_store_step(p.store, instances.store(p.store), instances.ca(p.sign)));
  steps.push_back(make_record_step());
  for (const auto& n : p.notify) steps.push_back(make_notify_step(n, public_base(config.server)));
  steps.push_back(make_audit_step());
  return std::make_shared<const Pipeline>(op, std::move(steps));
}

// Revocation always goes to the CA instance that issued the certificate;
// the configured pipeline adds its notifiers.
std::shared_ptr<const Pipeline> build_revoke(const std::map<std::string, PipelineConfig>& pipelines,
                                             const Config& config, const PluginInstances& instances) {
  std::vector<std::shared_ptr<Step>> steps{make_revoke_step(instances), make_record_revocation_step()};
  if (const auto found = pipelines.find("revoke"); found != pipelines.end())
    for (const auto& n : found->second.notify) steps.push_back(make_notify_step(n, public_base(config.server)));
  steps.push_back(make_audit_step());
  // Last: a store that is down delays nothing above.
  steps.push_back(make_mark_bundles_revoked_step(instances));
  return std::make_shared<const Pipeline>("revoke", std::move(steps));
}

// One set of pipelines, under keys "<op><suffix>".
void add_pipelines(Pipelines& out, const std::map<std::string, PipelineConfig>& pipelines, const std::string& suffix,
                   const Config& config, const PluginInstances& instances, const std::shared_ptr<KeygenGate>& gate) {
  // Renewal shares the phases of issuance; without a pipeline of its own it
  // runs the issue pipeline's steps.
  for (const char* op : {"issue", "renew"}) {
    auto found = pipelines.find(op);
    if (found == pipelines.end()) found = pipelines.find("issue");
    if (found != pipelines.end()) out[op + suffix] = build_issue_like(op, found->second, config, instances, gate);
  }
  // Any certificate the host recorded can be revoked, pipeline or not.
  out["revoke" + suffix] = build_revoke(pipelines, config, instances);
}

}  // namespace

Pipelines build_pipelines(const Config& config, const PluginInstances& instances,
                          const std::map<std::string, std::string>& tenant_ids) {
  Pipelines out;
  auto gate = std::make_shared<KeygenGate>(config.runner.keygen_concurrency, config.runner.keygen_queue);
  add_pipelines(out, config.pipelines, "", config, instances, gate);
  for (const auto& t : config.tenants)
    if (!t.pipelines.empty() && tenant_ids.count(t.slug))
      add_pipelines(out, t.pipelines, tenant_pipeline_suffix(tenant_ids.at(t.slug)), config, instances, gate);
  return out;
}

}  // namespace signet::host
