#include "lifecycle/intake.hpp"

#include "db/tenants.hpp"
#include "pipeline/issue_body.hpp"
#include "pipeline/request_start.hpp"
#include "pipeline/runner.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// Refusals the source should hear about (its people fix the record); the
// rest (the database, a source's own failure, an approval still to come
// there) are tried again next round.
bool final_refusal(const HostError& e) {
  return e.code != "unavailable" && e.code != "timeout" && e.code != "rate_limited" && e.code != "conflict" &&
         e.code != "internal" && e.code != "approval_required";
}

}  // namespace

IntakePoller::IntakePoller(Database& db, Runner& runner, const Config& config, const PluginInstances& instances,
                           const TenantProfiles& tenant_profiles, signet::Logger& log, signet::Metrics& metrics,
                           const std::string& host_id)
    : db_(db), runner_(runner), config_(config), instances_(instances), tenant_profiles_(tenant_profiles), log_(log),
      metrics_(metrics),
      // Three rounds' grace before another host takes over from a silent poller.
      lease_(db, "intake", host_id, std::max<std::chrono::milliseconds>(config.intake.poll_interval * 3, std::chrono::seconds(15))) {}

void IntakePoller::stop() {
  thread_.stop();
  lease_.release();
}

void IntakePoller::start() {
  if (instances_.request_sources().empty()) return;
  thread_.start(config_.intake.poll_interval, [this] { poll_once(); });
}

int IntakePoller::poll_once() {
  int started = 0;
  auto leading = lease_.acquire();
  if (!leading || !leading.value()) return 0;
  for (const auto& [instance, source] : instances_.request_sources()) {
    auto offers = source->offers(static_cast<std::size_t>(config_.intake.batch));
    if (!offers) {
      log_.warn("a request source could not be read", {{"instance", instance}, {"error", offers.error().message}});
      continue;
    }
    for (const auto& offer : offers.value()) take(instance, *source, offer, started);
  }
  return started;
}

std::variant<RequestRecord, HostError> IntakePoller::make_request(const std::string& instance, const OfferedRequest& offer) {
  auto tenant = find_tenant_by_slug(db_, offer.tenant.empty() ? "default" : offer.tenant);
  if (!tenant) return host_error(tenant.error());
  if (!tenant.value()) return HostError{"not_found", "no tenant " + offer.tenant};
  CertificateAsk ask;
  if (auto e = read_issue_body(offer.body, ask.in, ask.metadata, ask.csr_text)) return *e;
  // A SPIFFE ID is an identity (auth/client_certs.hpp): only the API, for a caller's own service, hands one out.
  for (const auto& uri : ask.in.uri)
    if (ascii_lowercase(uri).rfind("spiffe://", 0) == 0)
      return HostError{"permission_denied", "a request from " + offer.ref.system + " may not name a SPIFFE identity"};
  if (offer.body.contains("service") && offer.body.at("service").is_string()) ask.service = offer.body.at("service");
  // The source's reference, held to the API's rules for external_ref.
  const nlohmann::json ref = {{"system", offer.ref.system}, {"id", offer.ref.id}, {"number", offer.ref.number}};
  if (auto e = read_external_ref({{"external_ref", ref}}, ask.external_ref))
    return HostError{"internal", "the source offered a record Signet cannot key: " + e->message};
  if (!offer.requested_by.empty()) ask.metadata["requested_by"] = offer.requested_by;
  // The principal names the source: its audit records say where the request came from.
  return make_certificate_request(config_, runner_, tenant_profiles_, "issue", tenant.value()->id, "intake:" + instance,
                                  std::move(ask), RequestCaller{"intake", instance, ""});
}

void IntakePoller::take(const std::string& instance, RequestSource& source, const OfferedRequest& offer, int& started) {
  auto made = make_request(instance, offer);
  std::variant<StartedRequest, HostError> outcome = std::get_if<HostError>(&made) ? std::get<HostError>(made)
      : start_certificate_request({db_, runner_, config_, instances_}, std::move(std::get<RequestRecord>(made)),
                                  config_.runner.sync_wait);
  if (const auto* refused = std::get_if<HostError>(&outcome)) {
    if (!final_refusal(*refused)) {
      log_.warn("an offered request will be tried again", {{"ref", external_ref_text(offer.ref)}, {"error", refused->message}});
      return;
    }
    metrics_.counter_add("signet_intake_offers_total", "Offers from request sources by outcome", {{"instance", instance}, {"outcome", "refused"}}, 1);
    auto told = source.refused(offer, make_error(ErrorCode::rejected, refused->code + ": " + refused->message));
    if (!told) log_.warn("a refusal could not be written back", {{"ref", external_ref_text(offer.ref)}, {"error", told.error().message}});
    return;
  }
  const auto& request = std::get<StartedRequest>(outcome);
  if (!request.existing) ++started;
  metrics_.counter_add("signet_intake_offers_total", "Offers from request sources by outcome",
                       {{"instance", instance}, {"outcome", request.existing ? "existing" : "started"}}, 1);
  // Marked taken after the request is durable: a crash in between offers it again, and the claim finds this request.
  auto marked = source.taken(offer, request.request.id);
  if (!marked) log_.warn("an offered request could not be marked taken", {{"ref", external_ref_text(offer.ref)}, {"error", marked.error().message}});
}

}  // namespace signet::host
