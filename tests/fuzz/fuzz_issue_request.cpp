// The JSON bodies of POST /v1/certificates and …/revoke, then the profile
// policy over what was accepted, and the persisted form's round trip; the
// bodies of POST /v1/tokens and /v1/auth/approles (roles, TTLs, networks).
#include <cstdint>
#include <string>

#include "api/request_bodies.hpp"
#include "pipeline/issue_request.hpp"

namespace {

signet::host::ProfileConfig fuzz_profile() {
  signet::host::ProfileConfig p;
  p.name = "default";
  p.dns_suffixes = {"localhost", ".test", ".example.com"};
  p.dns_patterns = {"^[a-z0-9-]+\\.corp\\.example$"};
  p.allow_ip = p.allow_email = p.allow_uri = true;
  p.key_types = {{"ecdsa", 2048, 4096, {"P-256", "P-384"}}, {"rsa", 2048, 4096, {}}, {"ed25519", 2048, 4096, {}}};
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::host;
  const std::string text(reinterpret_cast<const char*>(data), size);
  RevokeBody revoke;
  (void)read_revoke_body(text, revoke);

  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  static const Roles roles = Roles::builtin();
  TokenSpec spec;
  (void)read_token_body(body, roles, {"pki_admin"}, spec);
  AppRole approle;
  (void)read_approle_body(body, roles, {"pki_admin"}, approle);
  IssueInput in;
  nlohmann::json metadata;
  std::string csr;
  if (read_issue_body(body, in, metadata, csr)) return 0;
  static const ProfileConfig profile = fuzz_profile();
  if (check_policy(profile, in)) return 0;
  // What policy accepted must survive the trip through requests.input.
  IssueRequest accepted{in.profile, in.common_name, in.dns, in.ip, in.email, in.uri, in.ttl, profile.max_ttl, csr,
                        in.key_type, in.key_bits, in.key_curve, {}, {}, metadata, {}, {}};
  const IssueRequest back = issue_request_from(nlohmann::json::parse(to_json(accepted).dump()));
  if (back.dns != accepted.dns || back.ip != accepted.ip || back.ttl != accepted.ttl || back.key_type != accepted.key_type)
    __builtin_trap();
  return 0;
}
