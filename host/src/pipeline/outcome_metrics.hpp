// What the pipeline did, as metrics operators alert on (docs/dashboard.md
// "Metrics"): certificates issued, renewed and revoked by tenant, CA,
// profile and reason; renewal attempts by result; signing time by CA and
// key backend. Never a serial or a name as a label.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <signet/services.hpp>

#include "db/database.hpp"
#include "db/requests.hpp"

namespace signet::host {

class OutcomeMetrics {
 public:
  // `key_backends`: CA instance -> the keys instance it signs with.
  // Renewal attempts start at 0 for the tenants there are, so that the
  // first failure is an increase an alert sees.
  OutcomeMetrics(Database& db, signet::Metrics& metrics, std::map<std::string, std::string> key_backends);

  // A request that reached a final status.
  void finished(const RequestRecord& q);
  // A sign step that produced a certificate, after `seconds`.
  void signed_by(const std::string& ca, double seconds);

 private:
  std::string tenant_slug(const std::string& tenant_id);
  void renewal_attempt(const std::string& tenant_slug, bool succeeded, double n);

  Database& db_;
  signet::Metrics& metrics_;
  const std::map<std::string, std::string> key_backends_;
  std::mutex mutex_;
  std::map<std::string, std::string> slugs_;  // tenant id -> slug; slugs never change
};

}  // namespace signet::host
