#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "pki/certificate_info.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

std::string chain_text(const nlohmann::json& chain) {
  std::string out;
  for (const auto& pem : chain) out += pem.get<std::string>();
  return out;
}

class RecordStep final : public Step {
 public:
  explicit RecordStep(Database& db) : db_(db) {}
  std::string name() const override { return "record"; }

  StepOutcome run(RequestRecord& q) override {
    auto info = read_certificate(q.state.value("certificate_pem", ""));
    if (!info) return StepOutcome::fail(std::move(info).error());
    const std::string id = q.state.value("certificate_id", "");
    auto written = db_.write([&](soci::session& s) {
      int existing = 0;  // idempotent: the row may exist from a run cut short by a crash
      s << "SELECT COUNT(*) FROM certificates WHERE request_id = :rid", soci::use(q.id), soci::into(existing);
      if (existing) return;
      insert(s, q, id, info.value());
    });
    if (!written) return StepOutcome::fail(std::move(written).error());
    q.certificate_id = id;
    q.state["serial"] = info->serial_hex;
    q.state["not_before"] = to_rfc3339(info->not_before);
    q.state["not_after"] = to_rfc3339(info->not_after);
    return StepOutcome::done();
  }

 private:
  static void insert(soci::session& s, const RequestRecord& q, const std::string& id, const CertificateInfo& info) {
    const std::string ca = q.state.value("ca", ""), pem = q.state.value("certificate_pem", "");
    const std::string chain = chain_text(q.state.value("chain", nlohmann::json::array()));
    const IssueRequest in = issue_request_from(q.input);
    const std::string sans = nlohmann::json{{"dns", in.dns}, {"ip", in.ip}, {"email", in.email}, {"uri", in.uri}}.dump();
    const std::string metadata = in.metadata.dump(), profile = in.profile, status = "active";
    const std::string cn = info.common_name.empty() ? in.common_name : info.common_name;
    const long long nb = to_unix_ms(info.not_before), na = to_unix_ms(info.not_after), now = to_unix_ms(Clock::now());
    s << "INSERT INTO certificates (id, tenant_id, request_id, ca, serial, common_name, sans, profile, status, "
         "not_before, not_after, certificate_pem, chain_pem, metadata, created_at, key_sha256) VALUES (:id, :tenant, :rid, "
         ":ca, :serial, :cn, :sans, :profile, :status, :nb, :na, :pem, :chain, :metadata, :now, :key)",
        soci::use(id), soci::use(q.tenant_id), soci::use(q.id), soci::use(ca), soci::use(info.serial_hex),
        soci::use(cn), soci::use(sans), soci::use(profile), soci::use(status), soci::use(nb), soci::use(na),
        soci::use(pem), soci::use(chain), soci::use(metadata), soci::use(now), soci::use(info.key_sha256);
  }

  Database& db_;
};

}  // namespace

std::shared_ptr<Step> make_record_step(Database& db) { return std::make_shared<RecordStep>(db); }

}  // namespace signet::host
