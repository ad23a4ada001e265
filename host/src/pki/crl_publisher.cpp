#include "pki/crl_publisher.hpp"

#include <algorithm>

#include <encoding/base64url.hpp>
#include <pkix/pem.hpp>

#include "pki/status_urls.hpp"

namespace signet::host {
namespace {

// DER times have whole seconds: thisUpdate is what the CRL says.
TimePoint whole_seconds(TimePoint t) { return std::chrono::time_point_cast<std::chrono::seconds>(t); }

}  // namespace

const std::string& PublishedCrl::pem() const {
  std::call_once(pem_once_, [this] { pem_ = pkix::pem_encode("X509 CRL", der); });
  return pem_;
}

CrlPublisher::CrlPublisher(Database& db, const PluginInstances& instances, const RevocationConfig& config,
                           signet::Logger& log)
    : db_(db), instances_(instances), config_(config), log_(log) {
  for (const auto& i : instances.all())
    if (i.kind == PluginKind::ca && (i.capabilities & SIGNET_CAP_CA_CRL) &&
        !(i.capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS))
      cas_.push_back(i.name);
}

bool CrlPublisher::publishes(const std::string& ca) const {
  return std::find(cas_.begin(), cas_.end(), ca) != cas_.end();
}

std::vector<CrlScope> CrlPublisher::scopes() const {
  std::vector<CrlScope> out;
  const int shards = config_.crl_shards > 1 ? config_.crl_shards : 0;
  for (const auto& ca : cas_)
    for (int shard = 0; shard <= shards; ++shard) out.push_back({ca, shard});
  return out;
}

std::shared_ptr<const PublishedCrl> CrlPublisher::current(const CrlScope& scope, bool delta) const {
  std::lock_guard lock(mutex_);
  const auto it = published_.find({scope, delta});
  return it == published_.end() ? nullptr : it->second;
}

Result<void> CrlPublisher::start() {
  auto stored = load_crls(db_);
  if (!stored) return std::move(stored).error();
  long long oldest = -1;
  for (auto& c : stored.value()) {
    if (!publishes(c.scope.ca)) continue;
    if (!c.delta) oldest = oldest < 0 ? c.last_seq : std::min(oldest, c.last_seq);
    published_[{c.scope, c.delta}] =
        std::make_shared<PublishedCrl>(c.number, c.this_update, c.next_update, c.last_seq, std::move(c.der));
  }
  // Revocations made while no host was publishing are new to us.
  seen_seq_ = std::max(0LL, oldest);
  run_once();
  thread_.start(config_.poll_interval, [this] { run_once(); });
  return {};
}

void CrlPublisher::stop() { thread_.stop(); }

void CrlPublisher::run_once() {
  note_new_revocations();
  const TimePoint now = Clock::now();
  for (const auto& scope : scopes()) keep_current(scope, now);
}

void CrlPublisher::note_new_revocations() {
  auto latest = latest_revocation_seq(db_);
  if (!latest || latest.value() <= seen_seq_) return;
  auto scopes = scopes_revoked_since(db_, seen_seq_);
  if (!scopes) return;  // tried again next round
  const TimePoint now = Clock::now();
  for (const auto& scope : scopes.value()) dirty_.try_emplace(scope, now);
  seen_seq_ = latest.value();
}

// Publishes what is missing, what nears its nextUpdate, and after new
// revocations (once the debounce has passed) a delta CRL or a full one.
void CrlPublisher::keep_current(const CrlScope& scope, TimePoint now) {
  const auto full = current(scope, false);
  const auto dirty = dirty_.find(scope);
  const bool settled = dirty != dirty_.end() && now - dirty->second >= config_.crl_debounce;
  bool publish_full = !full || full->next_update - now <= config_.crl_refresh_before || (settled && !config_.delta_crls);
  bool publish_delta = false;
  if (config_.delta_crls) {
    const auto delta = current(scope, true);
    publish_delta = publish_full || !delta || settled || delta->next_update - now <= config_.delta_validity / 2;
  }
  if (publish_full) {
    if (auto done = publish(scope, false); !done) {
      log_.error("cannot publish a CRL", {{"ca", scope.ca}, {"shard", scope.shard}, {"error", done.error().message}});
      return;  // the dirty mark stays: tried again next round
    }
  }
  if (publish_delta)
    if (auto done = publish(scope, true); !done) {
      log_.error("cannot publish a delta CRL", {{"ca", scope.ca}, {"shard", scope.shard}, {"error", done.error().message}});
      return;
    }
  if ((publish_full || publish_delta) && settled) dirty_.erase(scope);
}

Result<void> CrlPublisher::publish(const CrlScope& scope, bool delta) {
  auto ca = instances_.ca(scope.ca);
  if (!ca) return make_error(ErrorCode::not_found, "no CA " + scope.ca);
  const auto started = std::chrono::steady_clock::now();
  auto up_to = latest_revocation_seq(db_);
  if (!up_to) return std::move(up_to).error();
  CrlRequest request;
  long long after = 0;
  if (delta) {
    const auto base = current(scope, false);
    if (!base) return make_error(ErrorCode::unavailable, "a delta CRL needs its full CRL first");
    after = base->last_seq;
    request.delta_base = base->number;
  }
  const TimePoint now = whole_seconds(Clock::now());
  auto entries = crl_entries(db_, scope, after, up_to.value(), now - config_.crl_expired_grace);
  if (!entries) return std::move(entries).error();
  auto number = take_crl_number(db_, scope.ca);
  if (!number) return std::move(number).error();
  request.number = number.value();
  request.this_update = now;
  request.next_update = now + (delta ? config_.delta_validity : config_.crl_validity);
  request.entries = std::move(entries).value();
  if (config_.crl_shards > 1 && !config_.base_url.empty())
    request.distribution_point = config_.base_url + crl_path(scope.ca, scope.shard, false);
  if (config_.delta_crls && !config_.base_url.empty())
    request.freshest_crl = config_.base_url + crl_path(scope.ca, scope.shard, true);
  const std::size_t listed = request.entries.size();
  auto der = ca->sign_crl(request);
  if (!der) return std::move(der).error();
  std::vector<CrlEntry>().swap(request.entries);  // the memory goes back before the CRL is stored
  StoredCrl stored{scope, delta, request.number, request.this_update, request.next_update, up_to.value(), std::move(der).value()};
  if (auto saved = save_crl(db_, stored); !saved) return saved;
  const std::size_t bytes = stored.der.size();
  auto published = std::make_shared<PublishedCrl>(request.number, request.this_update, request.next_update, up_to.value(),
                                                  std::move(stored.der));
  {
    std::lock_guard lock(mutex_);
    published_[{scope, delta}] = std::move(published);
  }
  log_.info(delta ? "published a delta CRL" : "published a CRL",
            {{"ca", scope.ca}, {"shard", scope.shard}, {"number", request.number}, {"entries", listed},
             {"bytes", bytes},
             {"duration_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count()}});
  return {};
}

std::vector<CrlPublisher::Facts> CrlPublisher::published() const {
  std::lock_guard lock(mutex_);
  std::vector<Facts> out;
  for (const auto& [key, crl] : published_) out.push_back({key.scope, key.delta, crl->next_update, crl->der.size()});
  return out;
}

}  // namespace signet::host
