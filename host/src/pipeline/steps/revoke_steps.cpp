#include <algorithm>

#include "pipeline/revoke_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "db/revocations.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

bool listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether `id` is among the certificates a CA refused, or whose bundle's store refused the mark.
bool skipped(const std::vector<NotRevoked>& refused, const std::string& id) {
  return std::any_of(refused.begin(), refused.end(), [&](const NotRevoked& r) { return r.id == id; });
}

// Asks each certificate's own CA instance to revoke it: only the CA that
// issued a certificate can put it on its CRL and answer OCSP for it.
class RevokeAtCaStep final : public Step {
 public:
  explicit RevokeAtCaStep(const PluginInstances& instances) : instances_(instances) {}
  std::string name() const override { return "revoke"; }

  // The certificate named in the URL comes first: if it cannot be revoked
  // the request fails. A certificate that only shares its key is skipped
  // with its reason (state "not_revoked") when its CA refuses for good, so
  // the ones already revoked at their CAs are still recorded.
  StepOutcome run(RequestRecord& q) override {
    const RevokeInput in = revoke_input_from(q.input);
    const auto reason = revocation_reason_from(in.reason).value_or(RevocationReason::unspecified);
    for (std::size_t i = 0; i < in.targets.size(); ++i) {
      const RevokeTarget& t = in.targets[i];
      if (listed(q.state.revoked_at_ca, t.id) || skipped(q.state.not_revoked, t.id)) continue;  // done before
      auto revoked = revoke_one(q, t, reason);
      if (revoked.kind == StepOutcome::Kind::waiting) return revoked;
      if (revoked.kind == StepOutcome::Kind::failed) {
        if (i == 0 || revoked.error.retryable()) return revoked;
        q.state.not_revoked.push_back({t.id, std::string(to_string(revoked.error.code)), revoked.error.message});
        continue;
      }
      q.ticket.clear();
      q.state.revoked_at_ca.push_back(t.id);
    }
    return StepOutcome::done();
  }

 private:
  StepOutcome revoke_one(RequestRecord& q, const RevokeTarget& t, RevocationReason reason) {
    const PluginInstance* instance = instances_.find(t.ca);
    auto ca = instances_.ca(t.ca);
    if (!instance || !ca)
      return StepOutcome::fail(make_error(ErrorCode::invalid_config, "certificate " + t.id + " was issued by CA " + t.ca +
                                                                         ", which is not configured on this host"));
    if (!(instance->capabilities & SIGNET_CAP_CA_REVOKE))
      return StepOutcome::fail(make_error(ErrorCode::unsupported, "CA " + t.ca + " cannot revoke certificates"));
    auto outcome = ca->revoke({q.id, q.tenant_id, t.serial, t.certificate_pem, reason, q.ticket, json::object()});
    if (!outcome) return StepOutcome::fail(plugin_failure(t.ca, std::move(outcome).error()));
    if (const auto* pending = std::get_if<Pending>(&outcome.value())) return StepOutcome::wait(pending->ticket, pending->retry_after);
    return StepOutcome::done();
  }

 private:
  const PluginInstances& instances_;
};

// Marks the certificates revoked in one transaction. A certificate revoked
// meanwhile keeps its first revocation time and reason.
class RecordRevocationStep final : public Step {
 public:
  RecordRevocationStep() = default;
  std::string name() const override { return "record"; }
  bool checkpoint_before() const override { return false; }

  StepOutcome run(RequestRecord& q) override {
    const RevokeInput in = revoke_input_from(q.input);
    // Only what the CAs revoked; a target they refused for good stays as it is.
    const std::vector<std::string> done_ids = q.state.revoked_at_ca;
    const int code = static_cast<int>(revocation_reason_from(in.reason).value_or(RevocationReason::unspecified));
    const RevocationMark revocation{Clock::now(), code, in.reason, in.invalidity_date};
    DeferredWrite mark = [done_ids, revocation, tenant = q.tenant_id](soci::session& s) {
      for (const auto& id : done_ids) record_revocation(s, tenant, id, revocation);
    };
    if (!in.targets.empty()) {
      q.certificate_id = in.targets.front().id;
      q.state.serial = in.targets.front().serial;
      q.state.ca = in.targets.front().ca;
    }
    q.state.revoked = done_ids;
    q.state.reason = in.reason;
    return StepOutcome::done_with(std::move(mark));
  }
};

constexpr int kMarkAttempts = 3;  // check-and-set races with another writer of the same bundle
constexpr std::chrono::seconds kStoreRetry{30};

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
      if (t.key_store.empty() || !listed(q.state.revoked, t.id) || skipped(q.state.unmarked_bundles, t.id)) continue;
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
      if (written || written.error().code != ErrorCode::conflict || attempt == kMarkAttempts) {
        if (written) return {};
        return std::move(written).error();
      }
    }
  }

  const PluginInstances& instances_;
};

}  // namespace

std::shared_ptr<Step> make_revoke_step(const PluginInstances& instances) { return std::make_shared<RevokeAtCaStep>(instances); }
std::shared_ptr<Step> make_record_revocation_step() { return std::make_shared<RecordRevocationStep>(); }
std::shared_ptr<Step> make_mark_bundles_revoked_step(const PluginInstances& instances) {
  return std::make_shared<MarkBundlesRevokedStep>(instances);
}

}  // namespace signet::host
