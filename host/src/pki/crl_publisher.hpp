// Publishes the CRLs of every CA that signs them for the host (RFC 5280
// §5): a full CRL per shard, re-signed well before nextUpdate and shortly
// after revocations (debounced), optionally delta CRLs. New revocations are
// found by polling the numbered revocation list, so a revocation made by
// any host sharing the database shows up. Published CRLs are kept in the
// database and served from memory.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/revocations.hpp"
#include "plugins/instances.hpp"

namespace signet::host {

struct PublishedCrl {
  std::uint64_t number = 0;
  TimePoint this_update, next_update;
  long long last_seq = 0;
  std::string der, pem;
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
  void loop();

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

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace signet::host
