#include "pipeline/revoke_request.hpp"
#include "pipeline/steps/steps.hpp"

#include <algorithm>

#include "util/time.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr int kAttempts = 3;  // check-and-set races with another writer of the same bundle
constexpr std::chrono::seconds kStoreRetry{30};

bool listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool noted(const std::vector<NotRevoked>& unmarked, const std::string& id) {
  return std::any_of(unmarked.begin(), unmarked.end(), [&](const NotRevoked& n) { return n.id == id; });
}

// Last in the revoke pipeline, after the audit entry and the notifiers: the
// bundle of each revoked certificate whose key the host made gets a new
// version whose metadata says "revoked" (same data), so a store that
// delivers bundles elsewhere (store-vault's KV secret) tells its readers.
// A store that is down keeps the request waiting; one that refuses (its
// policy, its credentials) is noted in the request (unmarked_bundles).
// Neither undoes or delays the revocation, its OCSP and CRL answers, its
// events or its audit entry.
class MarkBundlesRevokedStep final : public Step {
 public:
  explicit MarkBundlesRevokedStep(const PluginInstances& instances) : instances_(instances) {}
  std::string name() const override { return "store"; }
  // The default (a save first): the revocation is durable, and answered by
  // OCSP and the CRL, before a store that may be down is asked anything.

  StepOutcome run(RequestRecord& q) override {
    const RevokeInput in = revoke_input_from(q.input);
    for (const RevokeTarget& t : in.targets) {
      if (t.key_store.empty() || !listed(q.state.revoked, t.id) || noted(q.state.unmarked_bundles, t.id)) continue;
      auto store = instances_.store(t.key_store);
      if (!store) continue;  // the store is no longer configured: nothing to tell
      auto marked = mark(*store, t.key_path, in.reason);
      if (marked) continue;
      // Decided on the store's own code: a refusal of Signet's credentials is not an outage here.
      const Error& e = marked.error();
      // Every 30 s at most (runner.backoff.max caps it): the store's own client has retried already.
      if (e.retryable())
        return StepOutcome::wait("store " + t.key_store + ": " + e.message, std::max(e.retry_after.value_or(kStoreRetry), kStoreRetry));
      q.state.unmarked_bundles.push_back({t.id, std::string(to_string(e.code)), t.key_store + ": " + e.message});
    }
    return StepOutcome::done();
  }

 private:
  // Idempotent: a bundle already marked (a rerun) is left as it is.
  static Result<void> mark(SecretStore& store, const std::string& path, const std::string& reason) {
    for (int attempt = 1;; ++attempt) {
      auto newest = store.get({path, std::nullopt});
      if (!newest && newest.error().code == ErrorCode::not_found) return {};  // deleted: nothing to mark
      if (!newest) return std::move(newest).error();
      json metadata = newest->metadata.is_object() ? newest->metadata : json::object();
      if (metadata.value("status", "") == "revoked") return {};
      metadata["status"] = "revoked";
      metadata["revoked_at"] = to_rfc3339(Clock::now());
      metadata["revocation_reason"] = reason;
      auto written = store.put({path, newest->data, newest->version, metadata});
      if (written || written.error().code != ErrorCode::conflict || attempt == kAttempts) {
        if (written) return {};
        return std::move(written).error();
      }
    }
  }

  const PluginInstances& instances_;
};

}  // namespace

std::shared_ptr<Step> make_mark_bundles_revoked_step(const PluginInstances& instances) {
  return std::make_shared<MarkBundlesRevokedStep>(instances);
}

}  // namespace signet::host
