#include "api.hpp"

#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>

#include <signet/x509.hpp>

namespace signet::keyfactor {

Result<void> check_csr(const SignRequest& request) {
  if (auto facts = x509::csr_facts(request.csr_pem); !facts) return make_error(ErrorCode::invalid_argument, "the CSR does not parse");
  const auto verified = request.extensions.is_object() ? request.extensions.find(kSignExtensionCsrVerified) : request.extensions.end();
  if (request.extensions.is_object() && verified != request.extensions.end() && verified->is_boolean() && verified->get<bool>())
    return {};
  auto bio = x509::detail::memory(request.csr_pem);
  X509_REQ* csr = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  EVP_PKEY* key = csr ? X509_REQ_get0_pubkey(csr) : nullptr;
  const bool valid = key && X509_REQ_verify(csr, key) == 1;
  X509_REQ_free(csr);
  ERR_clear_error();
  if (!valid) return make_error(ErrorCode::invalid_argument, "the CSR's signature does not verify (RFC 2986 §3)");
  return {};
}

Result<IssuedCertificate> issued_for(const SignRequest& request, const std::string& leaf_pem,
                                     const std::vector<std::string>& pool) {
  auto csr = x509::csr_facts(request.csr_pem);
  if (!csr) return std::move(csr).error();
  auto facts = x509::certificate_facts(leaf_pem);
  if (!facts) return make_error(ErrorCode::internal, "the CA answered with a certificate that does not parse");
  if (facts->public_key_der != csr->public_key_der)
    return make_error(ErrorCode::internal, "the CA's certificate is not for this request's key");
  auto chain = x509::order_chain(leaf_pem, pool);
  if (!chain) return make_error(ErrorCode::internal, "the CA's chain: " + chain.error().message);
  return IssuedCertificate{leaf_pem, std::move(chain).value()};
}

Result<std::vector<std::string>> chain_from_file(const std::string& chain_file) {
  if (chain_file.empty()) return std::vector<std::string>{};
  std::ifstream in(chain_file);
  std::ostringstream text;
  text << in.rdbuf();
  auto blocks = x509::pem_blocks(text.str());
  if (blocks.empty()) return make_error(ErrorCode::invalid_config, "chain_file " + chain_file + " holds no certificate");
  return blocks;
}

std::optional<Ticket> parse_ticket(const std::string& text) {
  const auto colon = text.find(':');
  const auto hash = text.rfind('#');
  if (colon == std::string::npos || hash == std::string::npos || hash < colon) return std::nullopt;
  Ticket t{text.substr(0, colon), text.substr(colon + 1, hash - colon - 1), 0};
  const char* begin = text.data() + hash + 1;
  const char* end = text.data() + text.size();
  if (std::from_chars(begin, end, t.polls).ptr != end || t.polls < 0) return std::nullopt;
  return t;
}

namespace {
long long unix_seconds(HostServices& services) {
  return std::chrono::duration_cast<std::chrono::seconds>(services.clock().now().time_since_epoch()).count();
}
}  // namespace

std::string since_now(const std::string& value, HostServices& services) {
  return value + "@" + std::to_string(unix_seconds(services));
}

bool waited_a_week(const std::string& value, HostServices& services) {
  const auto at = value.rfind('@');
  if (at == std::string::npos) return false;
  long long since = 0;
  const char* begin = value.data() + at + 1;
  const char* end = value.data() + value.size();
  if (std::from_chars(begin, end, since).ptr != end) return false;
  return unix_seconds(services) - since > std::chrono::duration_cast<std::chrono::seconds>(std::chrono::hours(24 * 7)).count();
}

std::string utc_text(std::chrono::system_clock::time_point when, const char* format) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

std::string rfc3339_now(HostServices& services) { return utc_text(services.clock().now(), "%Y-%m-%dT%H:%M:%SZ"); }

std::string upper_case(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string ticket_text(const Ticket& ticket) { return ticket.kind + ":" + ticket.value + "#" + std::to_string(ticket.polls); }

}  // namespace signet::keyfactor
