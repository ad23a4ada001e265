#include "pipeline/build_pipelines.hpp"

#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

std::shared_ptr<const Pipeline> build_issue_like(const std::string& op, const PipelineConfig& p, const Config& config,
                                                 const PluginInstances& instances, Database& db) {
  std::vector<std::shared_ptr<Step>> steps;
  for (const auto& check : p.validate)
    if (check == "profile-policy") steps.push_back(make_profile_policy_step(config));
  steps.push_back(make_sign_step(p.sign, instances.ca(p.sign)));
  if (!p.store.empty()) steps.push_back(make_store_step(p.store, instances.store(p.store)));
  steps.push_back(make_record_step(db));
  for (const auto& n : p.notify) steps.push_back(make_notify_step(n, instances.notifier(n)));
  steps.push_back(make_audit_step(db));
  return std::make_shared<const Pipeline>(op, std::move(steps));
}

}  // namespace

Pipelines build_pipelines(const Config& config, const PluginInstances& instances, Database& db) {
  Pipelines out;
  // Revocation runs through its own pipeline once the certificate API
  // offers it; issue and renew share the phases of issuance.
  for (const char* op : {"issue", "renew"}) {
    const auto found = config.pipelines.find(op);
    if (found != config.pipelines.end()) out[op] = build_issue_like(op, found->second, config, instances, db);
  }
  return out;
}

}  // namespace signet::host
