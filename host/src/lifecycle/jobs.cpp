#include "lifecycle/jobs.hpp"

#include "db/certificate_jobs.hpp"
#include "db/certificates.hpp"
#include "db/requests.hpp"
#include "db/secrets.hpp"
#include "notify/outbox.hpp"
#include "pipeline/revoke_request.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

const char* const kPrincipal = "system:lifecycle";

OutboxEvent certificate_event(const LifecycleCandidate& c, EventType type, const std::string& what) {
  OutboxEvent e;
  e.type = type;
  e.id = event_id(c.id + ":" + what);
  e.tenant_id = c.tenant_id;
  e.certificate_id = c.id;
  e.time = Clock::now();
  e.data = {{"serial", c.serial}, {"common_name", c.common_name}, {"profile", c.profile}, {"service", c.service},
            {"not_after", to_rfc3339(c.not_after)}, {"auto_renew", c.auto_renew}};
  if (!c.renewed_by.empty()) e.data["renewed_by"] = c.renewed_by;
  return e;
}

// "30d" for whole days (how warnings are configured and read), else "36h".
std::string warning_label(std::chrono::milliseconds before) {
  constexpr long long kDay = 86'400'000;
  return before.count() % kDay == 0 ? std::to_string(before.count() / kDay) + "d" : format_duration(before);
}

}  // namespace

std::vector<std::string> LifecycleJobs::notifiers_for(const std::string& tenant_id) const {
  const Pipeline* p = runner_.pipeline("issue", tenant_id);
  return p ? p->notifiers() : std::vector<std::string>{};
}

void LifecycleJobs::revoke_at_end_of_use() {
  auto due = certificates_at_end_of_use(db_, Clock::now(), config_.lifecycle.batch);
  if (!due) {
    log_.warn("cannot look for certificates at their end of use", {{"error", due.error().message}});
    return;
  }
  for (const auto& c : due.value()) {
    // One revocation request per certificate, whatever the number of rounds
    // that see it before the (possibly remote) CA has answered.
    const std::string id = "req_" + sha256_hex(c.id + ":end-of-use").substr(0, 26);
    const auto cannot_revoke = [&](const Error& error) {
      log_.warn("cannot revoke at the end of use", {{"certificate", c.id}, {"error", error.message}});
    };
    auto exists = request_exists(db_, id);
    if (!exists) {
      cannot_revoke(exists.error());
      continue;
    }
    if (exists.value()) continue;
    auto found = find_certificate(db_, c.tenant_id, c.id);
    if (!found) {
      cannot_revoke(found.error());
      continue;
    }
    if (!found.value()) continue;  // gone meanwhile
    const CertificateRow& row = *found.value();
    RequestRecord q;
    q.id = id;
    q.tenant_id = c.tenant_id;
    q.operation = "revoke";
    q.principal = kPrincipal;
    q.input = to_json(RevokeInput{{{row.id, row.ca, row.serial, row.certificate_pem, row.service, nullptr, row.key_store, row.key_path}},
                                      "cessation_of_operation", c.not_after_use});
    q.state.caller = {"scheduler", "lifecycle", kPrincipal};
    auto ran = runner_.submit(std::move(q), config_.renewal.request_wait);
    log_.info("revoked at the end of use", {{"certificate", c.id}, {"end_of_use", to_rfc3339(*c.not_after_use)},
                                             {"request_id", id},
                                             {"status", ran ? to_string(ran->status) : ran.error().message}});
  }
}

void LifecycleJobs::mark_expired() {
  const TimePoint now = Clock::now();
  auto expired = certificates_past_not_after(db_, now, config_.lifecycle.batch);
  if (!expired) {
    log_.warn("cannot look for expired certificates", {{"error", expired.error().message}});
    return;
  }
  if (expired.value().empty()) return;
  auto written = db_.write([&](soci::session& s) {
    for (const auto& c : expired.value()) {
      if (!mark_certificate_expired(s, c.id, now)) continue;
      const OutboxEvent event = certificate_event(c, EventType::expired, "expired");
      if (c.renewed_by.empty()) record_event(s, event, notifiers_for(c.tenant_id));
      else record_unsent_event(s, event, notifiers_for(c.tenant_id), "the certificate was replaced by " + c.renewed_by);
    }
  });
  if (!written) log_.warn("cannot mark certificates expired", {{"error", written.error().message}});
}

void LifecycleJobs::warn_expiring() {
  const auto& thresholds = config_.lifecycle.expiry_warnings;  // longest first
  const TimePoint now = Clock::now();
  // Nearest threshold first: a certificate past several unseen ones gets the nearest only.
  for (auto t = thresholds.rbegin(); t != thresholds.rend(); ++t) {
    auto due = certificates_to_warn(db_, now, *t, config_.lifecycle.batch);
    if (!due) {
      log_.warn("cannot look for expiring certificates", {{"error", due.error().message}});
      return;
    }
    if (due.value().empty()) continue;
    auto written = db_.write([&](soci::session& s) {
      for (const auto& c : due.value()) {
        if (!record_expiry_warning(s, c.id, *t)) continue;
        const auto notifiers = notifiers_for(c.tenant_id);
        const std::string label = warning_label(*t);
        OutboxEvent event = certificate_event(c, EventType::expiring, "expiring:" + label);
        event.data["warning"] = label;
        event.data["expires_in"] = format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(c.not_after - Clock::now()));
        if (c.renewed_by.empty()) record_event(s, event, notifiers);
        else record_unsent_event(s, event, notifiers, "the certificate was replaced by " + c.renewed_by);
        // Farther thresholds this certificate never got: explained, not sent late.
        for (const auto& farther : thresholds) {
          if (farther <= *t || (c.warned_before && farther >= *c.warned_before)) continue;
          OutboxEvent skipped = certificate_event(c, EventType::expiring, "expiring:" + warning_label(farther));
          skipped.data["warning"] = warning_label(farther);
          record_unsent_event(s, skipped, notifiers, "superseded by the " + label + " warning: the certificate was already closer to expiry when it was seen");
        }
      }
    });
    if (!written) log_.warn("cannot record expiry warnings", {{"error", written.error().message}});
  }
}

void LifecycleJobs::announce_secret_rotations() {
  const TimePoint now = Clock::now();
  auto due = secrets_due_for_rotation(db_, now, config_.lifecycle.batch);
  if (!due) {
    log_.warn("cannot look for secrets due for rotation", {{"error", due.error().message}});
    return;
  }
  if (due.value().empty()) return;
  auto written = db_.write([&](soci::session& s) {
    for (const auto& d : due.value()) {
      OutboxEvent e;
      e.type = EventType::secret_rotation;
      e.id = event_id(d.tenant_id + "\n" + d.path + "\n" + std::to_string(to_unix_ms(d.rotate_at)));
      e.tenant_id = d.tenant_id;
      e.time = Clock::now();
      e.data = {{"path", d.path}, {"version", d.version}, {"rotate_at", to_rfc3339(d.rotate_at)}};
      record_event(s, e, config_.secrets.notify);
      mark_rotation_announced(s, d.tenant_id, d.path, now);
    }
  });
  if (!written) log_.warn("cannot record secret rotation events", {{"error", written.error().message}});
}

}  // namespace signet::host
