// SDK 1.2: requests that come in from another system. A notifier that also
// reads a queue elsewhere (a ticketing system's catalogue requests) offers
// them to the host through RequestSource; the host checks each offer like a
// POST /v1/certificates, makes at most one request per external reference
// (across every host sharing the database) and tells the source which.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/version.hpp>

namespace signet {

// A record in another system that a request answers: for ServiceNow, the
// RITM's sys_id and number. The host keeps one request per (tenant,
// system, id).
struct ExternalRef {
  std::string system;  // "servicenow"
  std::string id;      // the record's stable id there (a sys_id)
  std::string number;  // what people read ("RITM0010001"); may be ""
};

// One request an outside system offers.
struct OfferedRequest {
  ExternalRef ref;
  std::string tenant;        // slug; "" for the host's default tenant
  nlohmann::json body;       // what POST /v1/certificates takes: common_name, sans {dns, ...}, ttl, profile, service, metadata
  std::string requested_by;  // who asked, in that system (audit); may be ""
};

// What the outside system says of a request's approval.
enum class Approval { approved, requested, rejected, not_required };

inline const char* to_string(Approval a) noexcept {
  switch (a) {
    case Approval::approved: return "approved";
    case Approval::requested: return "requested";
    case Approval::rejected: return "rejected";
    case Approval::not_required: return "not_required";
  }
  return "unknown";
}

class SIGNET_SDK_API RequestSource {
 public:
  virtual ~RequestSource() = default;
  // The system this source speaks for ("servicenow"): matched against a
  // request's external_ref.system and a profile's approval.from.
  virtual std::string system() const = 0;
  // Requests waiting there, at most `limit`. One host at a time polls,
  // each intake interval; when that changes hands two hosts may see the
  // same offer: the host, not the source, makes sure it becomes one request.
  virtual Result<std::vector<OfferedRequest>> offers(std::size_t limit) = 0;
  // The host made (or found already made) `request_id` for the offer:
  // mark the record taken so it is not offered again. Called again after
  // a failure or crash, so it must be idempotent.
  virtual Result<void> taken(const OfferedRequest& offer, const std::string& request_id) = 0;
  // The host refused the offer for good (`why` carries the API's message):
  // tell the people there, and stop offering it.
  virtual Result<void> refused(const OfferedRequest& offer, const Error& why) = 0;
  // Whether the record is approved there, read now (never cached): for
  // profiles whose approval comes from this system.
  virtual Result<Approval> approval(const ExternalRef& ref) = 0;
};

}  // namespace signet
