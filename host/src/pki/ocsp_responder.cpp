#include "pki/ocsp_responder.hpp"

#include <algorithm>
#include <unordered_map>

#include <pkix/der.hpp>
#include <pkix/der_writer.hpp>
#include <pkix/pem.hpp>

#include "db/ocsp.hpp"
#include "db/revocations.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using pkix::OcspResponseStatus;

// Revocations read per round trip while catching up.
constexpr int kRevocationBatch = 1000;
// Answers pre-signed per round for revoked certificates nobody asked about yet.
constexpr std::size_t kPresignPerRound = 256;

constexpr pkix::OcspHash kHashes[] = {pkix::OcspHash::sha1, pkix::OcspHash::sha256, pkix::OcspHash::sha384,
                                      pkix::OcspHash::sha512};

TimePoint whole_seconds(TimePoint t) { return std::chrono::time_point_cast<std::chrono::seconds>(t); }

std::shared_ptr<const OcspResponseBytes> status_only(OcspResponseStatus status) {
  auto out = std::make_shared<OcspResponseBytes>();
  out->der = pkix::ocsp_status_response(status);
  return out;
}

OcspAnswer error_answer(OcspResponseStatus status) {
  // The few error answers there are, made once.
  static const auto malformed = status_only(OcspResponseStatus::malformed_request);
  static const auto unauthorized = status_only(OcspResponseStatus::unauthorized);
  static const auto internal = status_only(OcspResponseStatus::internal_error);
  static const auto try_later = status_only(OcspResponseStatus::try_later);
  switch (status) {
    case OcspResponseStatus::malformed_request: return {malformed, false};
    case OcspResponseStatus::unauthorized: return {unauthorized, false};
    case OcspResponseStatus::try_later: return {try_later, false};
    default: return {internal, false};
  }
}

std::string cache_key(std::string_view ca, std::string_view cert_id) {
  std::string key;
  key.reserve(ca.size() + 1 + cert_id.size());
  key += ca;
  key += '\n';
  key += cert_id;
  return key;
}

// The CertID a client hashing with SHA-1 sends (RFC 5019 §2.1.1): what a
// revoked certificate's answer is pre-signed for.
std::string sha1_cert_id(const std::string& name_hash, const std::string& key_hash, const std::string& serial_hex) {
  CrlEntry serial;
  if (!set_entry_serial(serial, serial_hex)) return "";
  using namespace pkix;
  std::string content = der_wrap(der::kSequence, std::string("\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00", 9));
  content += der_wrap(der::kOctetString, name_hash);
  content += der_wrap(der::kOctetString, key_hash);
  content += der_unsigned_integer(std::string_view(reinterpret_cast<const char*>(serial.serial.data()), serial.serial_size));
  return der_wrap(der::kSequence, content);
}

}  // namespace

OcspResponder::OcspResponder(Database& db, const PluginInstances& instances, const RevocationConfig& config,
                             signet::Logger& log, signet::Metrics& metrics)
    : db_(db), instances_(instances), config_(config), log_(log), metrics_(metrics) {
  for (const auto& i : instances.all())
    if (i.kind == PluginKind::ca && (i.capabilities & SIGNET_CAP_CA_OCSP) &&
        !(i.capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS))
      authorities_[i.name];
}

// The issuing certificate's name and key, hashed as CertIDs carry them.
Result<void> OcspResponder::load_authority(const std::string& ca) {
  auto chain = instances_.ca(ca)->chain();
  if (!chain) return std::move(chain).error();
  if (chain.value().empty()) return make_error(ErrorCode::unavailable, "CA " + ca + " has no certificate yet");
  auto issuer = pkix::read_certificate_pem(chain.value().front());
  if (!issuer) return std::move(issuer).error();
  const std::string name_der = pkix::name_der(X509_get_subject_name(issuer.value().get()));
  if (name_der.empty()) return make_error(ErrorCode::internal, "cannot encode the name of CA " + ca);
  const std::string spki = pkix::spki_der(X509_get_X509_PUBKEY(issuer.value().get()));
  Authority& a = authorities_[ca];
  for (const auto hash : kHashes) {
    a.name_hash[static_cast<std::size_t>(hash)] = pkix::ocsp_hash(hash, name_der);
    a.key_hash[static_cast<std::size_t>(hash)] = pkix::ocsp_hash(hash, pkix::spki_key_bits(spki));
  }
  return {};
}

Result<void> OcspResponder::start() {
  if (authorities_.empty()) return {};
  if (auto keys = ocsp_keys_instance(instances_, config_); !keys) return std::move(keys).error();
  const TimePoint now = Clock::now();
  for (auto& [ca, authority] : authorities_) {
    if (auto loaded = load_authority(ca); !loaded) return make_error(loaded.error().code, "OCSP for CA " + ca + ": " + loaded.error().message);
    auto signer = ensure_ocsp_signer(db_, instances_, config_, ca, now, log_);
    if (!signer) return make_error(signer.error().code, "the OCSP signer of CA " + ca + ": " + signer.error().message);
    authority.signer = std::move(signer).value();
  }
  auto latest = latest_revocation_seq(db_);
  if (!latest) return std::move(latest).error();
  seen_seq_ = latest.value();
  issued_watermark_ = to_unix_ms(now);  // certificates from before start are signed when asked for
  next_refresh_ = now + config_.ocsp_refresh_before;
  next_signer_check_ = now;
  thread_.start(config_.poll_interval, [this] { run_once(); });
  return {};
}

void OcspResponder::stop() { thread_.stop(); }

bool OcspResponder::issued_by(const Authority& a, const pkix::OcspCertId& id) const {
  const auto h = static_cast<std::size_t>(id.hash);
  return id.hash_known && id.issuer_name_hash == a.name_hash[h] && id.issuer_key_hash == a.key_hash[h];
}

std::shared_ptr<const OcspSigner> OcspResponder::signer_of(const std::string& ca) const {
  std::shared_lock lock(mutex_);
  return authorities_.at(ca).signer;
}

std::string OcspResponder::cache_control() const {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const auto max_age = std::min(duration_cast<seconds>(config_.ocsp_max_age), duration_cast<seconds>(config_.ocsp_refresh_before));
  return "max-age=" + std::to_string(max_age.count()) + ", public, no-transform, must-revalidate";
}

// RFC 5019 §6.2: what an HTTP cache needs to keep the answer and revalidate it.
std::string OcspResponder::http_head_of(const OcspResponseBytes& r) const {
  std::string head = "HTTP/1.1 200 OK\r\nServer: signet\r\nContent-Type: application/ocsp-response\r\n";
  head += "Content-Length: " + std::to_string(r.der.size()) + "\r\n";
  head += "Cache-Control: " + cache_control() + "\r\n";
  head += "ETag: " + r.etag + "\r\n";
  head += "Last-Modified: " + to_http_date(r.this_update) + "\r\n";
  head += "Expires: " + to_http_date(r.next_update) + "\r\n";
  return head;
}

std::shared_ptr<const OcspResponseBytes> OcspResponder::cached_answer(std::string_view ca, std::string_view request) const {
  auto parsed = pkix::parse_ocsp_request(request);
  const auto* r = std::get_if<pkix::OcspRequest>(&parsed);
  if (!r || r->certificates.size() != 1 || !r->nonce_extension.empty()) return nullptr;
  return cached(ca, r->certificates.front().der);
}

std::shared_ptr<const OcspResponseBytes> OcspResponder::cached(std::string_view ca, std::string_view cert_id) const {
  const std::string key = cache_key(ca, cert_id);
  std::shared_lock lock(mutex_);
  const auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

OcspAnswer OcspResponder::answer(const std::string& ca, std::string_view request) {
  const auto authority = authorities_.find(ca);
  if (authority == authorities_.end()) return error_answer(OcspResponseStatus::unauthorized);
  if (request.size() > kOcspMaxRequest) return error_answer(OcspResponseStatus::malformed_request);
  auto parsed = pkix::parse_ocsp_request(request);
  const auto* r = std::get_if<pkix::OcspRequest>(&parsed);
  if (!r) return error_answer(OcspResponseStatus::malformed_request);
  // RFC 5019 §2.2.3: a CertID of another issuer is not ours to answer.
  for (const auto& id : r->certificates)
    if (!issued_by(authority->second, id)) return error_answer(OcspResponseStatus::unauthorized);
  const bool shared = r->certificates.size() == 1 && r->nonce_extension.empty();
  if (shared)
    if (auto kept = cached(ca, r->certificates.front().der)) return {std::move(kept), true};
  long long seen_before = 0;
  {
    std::shared_lock lock(mutex_);
    seen_before = seen_seq_;
  }
  const TimePoint now = whole_seconds(Clock::now());
  Responses responses;
  for (const auto& id : r->certificates) {
    auto single = single_response(ca, id.der, pkix::ocsp_serial_hex(id.serial), now);
    if (!single) return error_answer(OcspResponseStatus::try_later);
    responses.push_back(std::move(single).value());
  }
  auto signed_response = sign(ca, responses, r->nonce_extension, now);
  if (!signed_response) return error_answer(OcspResponseStatus::internal_error);
  count_signatures(shared ? "request" : "nonce_or_several", 1);
  // Unknown serials are not kept: the certificate may be recorded a moment later.
  const bool keep = shared && responses.front().status != pkix::OcspCertStatus::unknown;
  if (keep) remember(ca, signed_response.value(), seen_before);
  return {std::move(signed_response).value(), keep};
}

Result<pkix::OcspSingleResponse> OcspResponder::single_response(const std::string& ca, std::string_view cert_id,
                                                                const std::string& serial_hex, TimePoint now,
                                                                std::optional<CertificateStatus> known) {
  pkix::OcspSingleResponse single;
  single.cert_id_der = std::string(cert_id);
  single.this_update = now;
  single.next_update = now + config_.ocsp_validity;
  single.status = pkix::OcspCertStatus::unknown;
  if (serial_hex.empty()) return single;
  auto status = known ? Result<CertificateStatus>(*known) : certificate_status(db_, ca, serial_hex);
  if (!status) return std::move(status).error();
  switch (status.value().kind) {
    case CertificateStatus::Kind::unknown: break;
    case CertificateStatus::Kind::good: single.status = pkix::OcspCertStatus::good; break;
    case CertificateStatus::Kind::revoked:
      single.status = pkix::OcspCertStatus::revoked;
      single.revoked_at = whole_seconds(status.value().revoked_at);
      single.reason = static_cast<RevocationReason>(status.value().reason);
      break;
  }
  return single;
}

Result<std::shared_ptr<const OcspResponseBytes>> OcspResponder::sign(const std::string& ca, const Responses& responses,
                                                                     std::string_view nonce, TimePoint now) {
  const auto signer = signer_of(ca);
  const std::string data = pkix::ocsp_response_data_der(signer->id, now, responses, nonce);
  auto signature = signer->keys->sign(signer->key_id, signer->algorithm, data);
  if (!signature) {
    log_.error("cannot sign an OCSP answer", {{"ca", ca}, {"error", signature.error().message}});
    return std::move(signature).error();
  }
  auto out = std::make_shared<OcspResponseBytes>();
  out->der = pkix::ocsp_successful_response(signer->id, data, signature.value());
  out->successful = true;
  out->this_update = responses.front().this_update;
  out->next_update = responses.front().next_update;
  out->etag = "\"" + sha256_hex(out->der).substr(0, 32) + "\"";
  if (responses.size() == 1) {
    out->cert_id = responses.front().cert_id_der;
    std::string_view body, serial;
    std::string_view in(out->cert_id);
    if (pkix::der_take(in, pkix::der::kSequence, &body) && pkix::der_take(body, pkix::der::kSequence) &&
        pkix::der_take(body, pkix::der::kOctetString) && pkix::der_take(body, pkix::der::kOctetString) &&
        pkix::der_take(body, pkix::der::kInteger, &serial))
      out->serial_hex = pkix::ocsp_serial_hex(serial);
  }
  out->http_head = http_head_of(*out);
  return std::shared_ptr<const OcspResponseBytes>(std::move(out));
}

Result<std::shared_ptr<const OcspResponseBytes>> OcspResponder::sign_one(const std::string& ca, std::string_view cert_id,
                                                                         const std::string& serial_hex,
                                                                         std::optional<CertificateStatus> known) {
  const TimePoint now = whole_seconds(Clock::now());
  auto single = single_response(ca, cert_id, serial_hex, now, known);
  if (!single) return std::move(single).error();
  return sign(ca, {std::move(single).value()}, {}, now);
}

// Keeps an answer unless a revocation was applied to the cache while it was
// being made (it may predate that revocation), or the cache is full.
void OcspResponder::remember(const std::string& ca, std::shared_ptr<const OcspResponseBytes> response,
                             long long seen_before) {
  std::unique_lock lock(mutex_);
  if (seen_seq_ != seen_before) return;
  if (cache_.size() >= config_.ocsp_cache_entries) {
    if (cache_.empty()) return;
    cache_.erase(cache_.begin());  // an arbitrary one: it is signed again when asked for
  }
  cache_[cache_key(ca, response->cert_id)] = std::move(response);
}

void OcspResponder::run_once() {
  const TimePoint now = Clock::now();
  if (now >= next_signer_check_) renew_signers(now);
  resign_revoked();
  presign_issued();
  if (now >= next_refresh_) refresh_expiring(now);
}

// New certificates get their (SHA-1 CertID) answer signed before anyone
// asks. A certificate is taken once it was recorded a second ago: a
// transaction may commit a moment after a later one. One missed (or past
// the cache's room) is signed when first asked for.
void OcspResponder::presign_issued() {
  if (!config_.ocsp_presign) return;
  constexpr long long kSettled = 1000;
  auto issued = certificates_recorded_after(db_, issued_watermark_, to_unix_ms(Clock::now()) - kSettled,
                                            static_cast<int>(kPresignPerRound));
  if (!issued || issued.value().empty()) return;
  std::vector<Resign> fresh;
  for (const auto& c : issued.value()) {
    issued_watermark_ = std::max(issued_watermark_, c.created_at);
    if (!answers_for(c.ca)) continue;
    const Authority& a = authorities_.at(c.ca);
    auto placeholder = std::make_shared<OcspResponseBytes>();
    placeholder->cert_id = sha1_cert_id(a.name_hash[0], a.key_hash[0], c.serial);
    placeholder->serial_hex = c.serial;
    if (placeholder->cert_id.empty()) continue;
    {
      std::shared_lock lock(mutex_);
      if (cache_.count(cache_key(c.ca, placeholder->cert_id)) || cache_.size() >= config_.ocsp_cache_entries) continue;
    }
    fresh.push_back({c.ca, std::move(placeholder), c.status});  // read with the listing: no query per certificate
  }
  resign(fresh, "presign");
}

// A renewed signer starts with an empty cache: answers are signed anew as
// they are asked for.
void OcspResponder::renew_signers(TimePoint now) {
  next_signer_check_ = now + std::min<std::chrono::milliseconds>(std::chrono::hours(1), config_.ocsp_signer_renew_before / 4);
  for (auto& [ca, authority] : authorities_) {
    if (!ocsp_signer_due(*signer_of(ca), config_, now)) continue;
    auto renewed = ensure_ocsp_signer(db_, instances_, config_, ca, now, log_);
    if (!renewed) {
      log_.error("cannot renew the OCSP signer", {{"ca", ca}, {"error", renewed.error().message}});
      continue;
    }
    const std::string prefix = ca + "\n";  // the cache's keys of this CA's answers
    std::unique_lock lock(mutex_);
    authority.signer = std::move(renewed).value();
    std::erase_if(cache_, [&prefix](const auto& entry) { return entry.first.compare(0, prefix.size(), prefix) == 0; });
  }
}

// Answers for certificates revoked since the last round are signed again
// now; revoked certificates nobody has asked about yet get one pre-signed.
void OcspResponder::resign_revoked() {
  auto latest = latest_revocation_seq(db_);
  long long last = 0;
  // The answers kept now, by "<ca>\n<serial>": a revocation makes them stale.
  std::unordered_multimap<std::string, std::shared_ptr<const OcspResponseBytes>> cached;
  {
    std::unique_lock lock(mutex_);
    if (!latest || latest.value() <= seen_seq_) return;
    last = seen_seq_;
    // From here on, an answer made from an older view is not kept (remember()).
    seen_seq_ = latest.value();
    for (const auto& [key, response] : cache_) cached.emplace(key.substr(0, key.find('\n') + 1) + response->serial_hex, response);
  }
  std::vector<Resign> stale;
  std::size_t presigned = 0;
  while (last < latest.value()) {
    auto batch = revocations_after(db_, last, kRevocationBatch);
    if (!batch) {
      // Which answers went stale is unknown: none is kept.
      log_.error("cannot read new revocations; dropping cached OCSP answers", {{"error", batch.error().message}});
      std::unique_lock lock(mutex_);
      cache_.clear();
      return;
    }
    if (batch.value().empty()) break;
    last = batch.value().back().seq;
    for (const auto& r : batch.value()) {
      if (!answers_for(r.ca)) continue;
      const auto [first, end] = cached.equal_range(r.ca + "\n" + r.serial);
      for (auto it = first; it != end; ++it) stale.push_back({r.ca, it->second});
      if (first != end || presigned == kPresignPerRound) continue;
      ++presigned;
      const Authority& a = authorities_.at(r.ca);
      auto placeholder = std::make_shared<OcspResponseBytes>();
      placeholder->cert_id = sha1_cert_id(a.name_hash[0], a.key_hash[0], r.serial);
      placeholder->serial_hex = r.serial;
      if (!placeholder->cert_id.empty()) stale.push_back({r.ca, std::move(placeholder)});
    }
    if (cached.empty() && presigned == kPresignPerRound) break;  // nothing more to do with the rest
  }
  resign(stale, "revocation");
}

void OcspResponder::refresh_expiring(TimePoint now) {
  std::vector<Resign> stale;
  TimePoint next = now + config_.ocsp_refresh_before;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [key, response] : cache_) {
      const TimePoint due = response->next_update - config_.ocsp_refresh_before;
      if (due <= now) stale.push_back({key.substr(0, key.find('\n')), response});
      else next = std::min(next, due);
    }
  }
  next_refresh_ = next;
  resign(stale, "refresh");
}

// Signs the answers again with what the database says now.
void OcspResponder::count_signatures(const char* why, std::size_t n) {
  if (n > 0) metrics_.counter_add("signet_ocsp_signatures_total", "OCSP answers signed, by why", {{"why", why}}, static_cast<double>(n));
}

void OcspResponder::resign(const std::vector<Resign>& stale,
                           const char* why) {
  std::size_t signed_now = 0;
  for (const auto& [ca, old, known] : stale) {
    auto fresh = sign_one(ca, old->cert_id, old->serial_hex, known);
    if (!fresh) {
      // The old answer goes: the next request signs one or fails visibly.
      std::unique_lock lock(mutex_);
      cache_.erase(cache_key(ca, old->cert_id));
      continue;
    }
    ++signed_now;
    std::unique_lock lock(mutex_);
    if (cache_.size() >= config_.ocsp_cache_entries && !cache_.count(cache_key(ca, old->cert_id))) continue;
    cache_[cache_key(ca, old->cert_id)] = std::move(fresh).value();
  }
  count_signatures(why, signed_now);
}

}  // namespace signet::host
