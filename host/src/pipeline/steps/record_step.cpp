#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "db/certificates.hpp"
#include "db/renewals.hpp"
#include "pki/certificate_info.hpp"

namespace signet::host {
namespace {

std::string chain_text(const std::vector<std::string>& chain) {
  std::string out;
  for (const auto& pem : chain) out += pem;
  return out;
}

CertificateRow row_of(const RequestRecord& q, const std::string& id, const CertificateInfo& info) {
  const IssueRequest in = issue_request_from(q.input);
  CertificateRow c;
  c.id = id;
  c.tenant_id = q.tenant_id;
  c.request_id = q.id;
  c.ca = q.state.ca;
  c.serial = info.serial_hex;
  c.common_name = info.common_name.empty() ? in.common_name : info.common_name;
  c.sans = {{"dns", in.dns}, {"ip", in.ip}, {"email", in.email}, {"uri", in.uri}};
  c.profile = in.profile;
  c.status = "active";
  c.metadata = in.metadata;
  c.service = in.service;
  c.not_before = info.not_before;
  c.not_after = info.not_after;
  c.created_at = Clock::now();
  c.key_sha256 = info.key_sha256;
  c.key_type = info.key_type;
  c.key_bits = info.key_bits;
  c.certificate_pem = q.state.certificate_pem;
  c.chain_pem = chain_text(q.state.chain);
  c.key_store = q.state.key_store;
  c.key_path = q.state.key_path;
  c.renews = in.renews;
  c.lineage = in.lineage.empty() ? id : in.lineage;
  c.crl_shard = q.state.crl_shard.value_or(0);
  c.auto_renew = in.auto_renew;
  c.not_after_use = in.not_after_use;
  return c;
}

class RecordStep final : public Step {
 public:
  RecordStep() = default;
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "record"; }

  StepOutcome run(RequestRecord& q) override {
    auto info = read_certificate(q.state.certificate_pem);
    if (!info) return StepOutcome::fail(std::move(info).error());
    const std::string id = q.state.certificate_id;
    // Saved with the request's progress; idempotent, as a rerun after a
    // crash may find the row there already.
    auto columns = std::make_shared<const CertificateColumns>(row_of(q, id, info.value()));
    DeferredWrite insert = [columns](soci::session& s) {
      if (!insert_certificate(s, *columns)) return;  // there already: a rerun after a crash
      const CertificateRow& row = columns->row;
      // The replaced certificate points at its successor, and its renewal is no longer under way.
      if (!row.renews.empty()) link_renewal(s, row.tenant_id, row.renews, row.id, row.created_at);
    };
    q.certificate_id = id;
    q.state.serial = info->serial_hex;
    q.state.not_before = to_rfc3339(info->not_before);
    q.state.not_after = to_rfc3339(info->not_after);
    // The certificates row holds them now; the request row need not repeat them.
    q.transient = {std::move(q.state.certificate_pem), std::move(q.state.chain)};
    q.state.certificate_pem.clear();
    q.state.chain.clear();
    // Nor the CSR: the certificate carries its key, no later step reads it,
    // and no view ever shows it (about a third of a request row).
    q.input.erase("csr");
    q.state.csr.clear();
    return StepOutcome::done_with(std::move(insert));
  }
};

}  // namespace

std::shared_ptr<Step> make_record_step() { return std::make_shared<RecordStep>(); }

}  // namespace signet::host
