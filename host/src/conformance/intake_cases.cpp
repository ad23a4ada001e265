// The `intake` cases, for a notifier that also brings requests in (SDK 1.2,
// signet/intake.hpp): what the host relies on when it polls a RequestSource.
//
// - system() names the system as external_ref.system must (1 to 40
//   characters; the host keeps one request per tenant, system and id).
// - offers(limit) returns at most `limit` offers, each naming a record of
//   that system with a body the API could read (an object).
// - approval() of a record that does not exist answers not_found (or an
//   Approval), never an internal error: profiles read approvals live.
// Nothing here writes to the outside system (taken and refused are not called).
#include <string>

#include "conformance/suite.hpp"

namespace signet::host::conformance {
namespace {

constexpr std::size_t kMaxSystem = 40;

bool valid_system(const std::string& name) {
  if (name.empty() || name.size() > kMaxSystem) return false;
  for (const char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

Verdict system_name(RequestSource& source) {
  const std::string name = source.system();
  if (!valid_system(name))
    return Verdict::fail("system() returned \"" + one_line(name) + "\"; expected 1 to 40 of a-z, 0-9, '-' and '_'");
  return Verdict::pass("system " + name);
}

Verdict offers_bounded(Suite& suite, RequestSource& source) {
  const std::string system = source.system();
  for (const std::size_t limit : {std::size_t{1}, std::size_t{5}}) {
    auto offers = suite.calls.run("offers", [&] { return source.offers(limit); });
    if (!offers) {
      if (offers.error().retryable())
        return Verdict::fail("offers(" + std::to_string(limit) + ") returned " + describe(offers.error()) +
                             " (a retryable error: the system in the test config is not reachable)");
      return Verdict::fail("offers(" + std::to_string(limit) + ") returned " + describe(offers.error()));
    }
    if (offers->size() > limit)
      return Verdict::fail("offers(" + std::to_string(limit) + ") returned " + std::to_string(offers->size()) + " offers");
    for (const auto& offer : offers.value()) {
      if (offer.ref.system != system || offer.ref.id.empty())
        return Verdict::fail("an offer names record \"" + one_line(offer.ref.system + " " + offer.ref.id) +
                             "\"; expected a non-empty id of system " + system);
      if (!offer.body.is_object()) return Verdict::fail("the offer of " + one_line(offer.ref.id) + " has a body that is not an object");
    }
  }
  return Verdict::pass("offers(1) and offers(5) stayed within their limits");
}

Verdict approval_of_unknown(Suite& suite, RequestSource& source) {
  const ExternalRef ref{source.system(), "00000000000000000000000000000000", "conformance"};
  auto approval = suite.calls.run("approval", [&] { return source.approval(ref); });
  if (approval) return Verdict::pass("approval of a record that does not exist: " + std::string(to_string(approval.value())));
  if (approval.error().code == ErrorCode::not_found) return Verdict::pass("approval of a record that does not exist: not_found");
  return Verdict::fail("approval of a record that does not exist returned " + describe(approval.error()) +
                       "; expected not_found (or an answer)");
}

}  // namespace

void run_intake_cases(Suite& suite, Notifier& notifier) {
  // Plugins built before SDK 1.2 have no request_source() in their vtable.
  RequestSource* source = suite.descriptor && suite.descriptor->sdk_minor >= 2 ? notifier.request_source() : nullptr;
  const std::string why_not = suite.descriptor && suite.descriptor->sdk_minor < 2 ? "the plugin was built before SDK 1.2"
                                                                                  : "the notifier offers no RequestSource";
  auto run = [&](const std::string& name, auto&& body) {
    suite.run(name, [&]() -> Verdict { return source ? body(*source) : Verdict::skip(why_not); });
  };
  run("intake.system", [&](RequestSource& s) { return system_name(s); });
  run("intake.offers_bounded", [&](RequestSource& s) { return offers_bounded(suite, s); });
  run("intake.approval_unknown", [&](RequestSource& s) { return approval_of_unknown(suite, s); });
}

}  // namespace signet::host::conformance
