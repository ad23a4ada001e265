// Publishes the CRLs of every CA that signs them for the host (RFC 5280
// §5): a full CRL per shard, re-signed well before nextUpdate and shortly
// after revocations (debounced), optionally delta CRLs. New revocations are
// found by polling the numbered revocation list, so a revocation made by
// any host sharing the database shows up. Published CRLs are kept in the
// database and served from memory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/revocations.hpp"
#include "plugins/instances.hpp"
#include "util/periodic_thread.hpp"

namespace signet::host {

class PublishedCrl {
 public:
  PublishedCrl(std::uint64_t number_, TimePoint this_update_, TimePoint next_update_, long long last_seq_, std::string der_)
      : number(number_), this_update(this_update_), next_update(next_update_), last_seq(last_seq_), der(std::move(der_)) {}

  const std::uint64_t number;
  const TimePoint this_update, next_update;
  const long long last_seq;
  const std::string der;
  // The PEM of /crl.pem, made when first asked for: most relying parties
  // fetch DER, and a CRL of a million entries is 60 MB of PEM.
  const std::string& pem() const;

 private:
  mutable std::once_flag pem_once_;
  mutable std::string pem_;
};

class CrlPublisher {
 public:
  CrlPublisher(Database& db, const PluginInstances& instances, const RevocationConfig& config, signet::Logger& log);
  ~CrlPublisher() { stop(); }

  // Loads what was published before and publishes what is missing, then
  // keeps the CRLs current on a thread of its own.
  Result<void> start();
  void stop();

  // Whether the host publishes CRLs for this CA (it signs them, and it does
  // not publish its own status elsewhere).
  bool publishes(const std::string& ca) const;
  // The current CRL of a scope; null when there is none (yet).
  std::shared_ptr<const PublishedCrl> current(const CrlScope& scope, bool delta) const;
  // One round of what the thread does: new revocations, due CRLs.
  void run_once();

  // What is published now, for the metrics operators alert on.
  struct Facts {
    CrlScope scope;
    bool delta = false;
    TimePoint next_update{};
    std::size_t bytes = 0;
  };
  std::vector<Facts> published() const;

 private:
  struct Key {
    CrlScope scope;
    bool delta;
    auto operator<=>(const Key&) const = default;
  };
  Result<void> publish(const CrlScope& scope, bool delta);
  std::vector<CrlScope> scopes() const;
  void note_new_revocations();
  void keep_current(const CrlScope& scope, TimePoint now);

  Database& db_;
  const PluginInstances& instances_;
  const RevocationConfig config_;
  signet::Logger& log_;
  std::vector<std::string> cas_;

  mutable std::mutex mutex_;  // guards published_
  std::map<Key, std::shared_ptr<const PublishedCrl>> published_;

  // Only the publishing thread (or start()) touches these.
  long long seen_seq_ = 0;
  std::map<CrlScope, TimePoint> dirty_;  // scope -> when its first unpublished revocation was seen

  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace signet::host
