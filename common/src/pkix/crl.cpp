#include <pkix/crl.hpp>

#include <pkix/der_writer.hpp>

namespace signet::pkix {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

// OBJECT IDENTIFIER TLVs of id-ce extensions (RFC 5280 §4.2.1, §5.2, §5.3).
const std::string_view kAuthorityKeyId("\x06\x03\x55\x1d\x23", 5);
const std::string_view kCrlNumber("\x06\x03\x55\x1d\x14", 5);
const std::string_view kDeltaCrlIndicator("\x06\x03\x55\x1d\x1b", 5);
const std::string_view kIssuingDistributionPoint("\x06\x03\x55\x1d\x1c", 5);
const std::string_view kFreshestCrl("\x06\x03\x55\x1d\x2e", 5);
const std::string_view kReasonCode("\x06\x03\x55\x1d\x15", 5);
const std::string_view kInvalidityDate("\x06\x03\x55\x1d\x18", 5);

TimePoint at(std::int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }

std::string_view magnitude_of(const CrlEntry& e) {
  return {reinterpret_cast<const char*>(e.serial.data()), std::min<std::size_t>(e.serial_size, e.serial.size())};
}

// reasonCode (§5.3.1) and invalidityDate (§5.3.2); empty when neither applies.
std::string entry_extensions(const CrlEntry& e) {
  std::string content;
  if (e.reason != RevocationReason::unspecified)
    content += der_extension(kReasonCode, false,
                             der_wrap(der::kEnumerated, std::string(1, static_cast<char>(static_cast<int>(e.reason)))));
  if (e.invalidity_date != 0)
    content += der_extension(kInvalidityDate, false, der_generalized_time(at(e.invalidity_date)));
  return content.empty() ? content : der_wrap(der::kSequence, content);
}

// The encoded size of entry_der(e), computed without encoding it: the list
// is sized before it is written, and a million entries are encoded once.
std::size_t entry_size(const CrlEntry& e) {
  std::string_view magnitude = magnitude_of(e);
  while (magnitude.size() > 1 && magnitude.front() == '\0') magnitude.remove_prefix(1);
  const bool sign_octet = magnitude.empty() || (static_cast<std::uint8_t>(magnitude.front()) & 0x80);
  std::size_t extensions = 0;
  if (e.reason != RevocationReason::unspecified)  // OID, OCTET STRING { ENUMERATED, one octet }
    extensions += der_tlv_size(kReasonCode.size() + der_tlv_size(der_tlv_size(1)));
  if (e.invalidity_date != 0)  // OID, OCTET STRING { GeneralizedTime, 15 octets }
    extensions += der_tlv_size(kInvalidityDate.size() + der_tlv_size(der_tlv_size(15)));
  const std::size_t content = der_tlv_size(magnitude.size() + (sign_octet ? 1 : 0)) + der_time_size(at(e.revoked_at)) +
                              (extensions ? der_tlv_size(extensions) : 0);
  return der_tlv_size(content);
}

std::string entry_der(const CrlEntry& e) {
  std::string content = der_unsigned_integer(magnitude_of(e));
  content += der_time(at(e.revoked_at));
  content += entry_extensions(e);
  return der_wrap(der::kSequence, content);
}

// DistributionPointName fullName with one URI, as the [0] of a
// DistributionPoint or IssuingDistributionPoint (tags of a CHOICE are explicit).
std::string distribution_point_name(const std::string& url) {
  return der_wrap(der::constructed(0), der_wrap(der::constructed(0), der_wrap(der::primitive(6), url)));
}

std::string crl_extensions(const CrlRequest& r, const CrlSigner& signer) {
  std::string content;
  if (!signer.key_identifier.empty())
    content += der_extension(kAuthorityKeyId, false,
                             der_wrap(der::kSequence, der_wrap(der::primitive(0), signer.key_identifier)));
  content += der_extension(kCrlNumber, false, der_integer(r.number));
  if (r.delta_base) content += der_extension(kDeltaCrlIndicator, true, der_integer(*r.delta_base));
  if (!r.distribution_point.empty())
    content += der_extension(kIssuingDistributionPoint, true,
                             der_wrap(der::kSequence, distribution_point_name(r.distribution_point)));
  if (!r.freshest_crl.empty() && !r.delta_base)
    content += der_extension(kFreshestCrl, false,
                             der_wrap(der::kSequence, der_wrap(der::kSequence, distribution_point_name(r.freshest_crl))));
  return der_wrap(der::constructed(0), der_wrap(der::kSequence, content));
}

}  // namespace

std::string tbs_cert_list_der(const CrlRequest& request, const CrlSigner& signer) {
  std::string head = der_integer(1);  // v2
  head += signer.algorithm_der;
  head += signer.issuer_name_der;
  head += der_time(request.this_update);
  head += der_time(request.next_update);
  const std::string tail = crl_extensions(request, signer);
  // Sized up front so that a list of a million entries is written once,
  // into its final place. §5.1.2.6: "When there are no revoked
  // certificates, the revoked certificates list MUST be absent."
  std::size_t entries = 0;
  for (const auto& e : request.entries) entries += entry_size(e);
  const std::size_t revoked = request.entries.empty() ? 0 : der_tlv_size(entries);
  std::string out;
  out.reserve(der_tlv_size(head.size() + revoked + tail.size()));
  der_put_header(out, der::kSequence, head.size() + revoked + tail.size());
  out += head;
  if (revoked != 0) der_put_header(out, der::kSequence, entries);
  for (const auto& e : request.entries) out += entry_der(e);
  out += tail;
  return out;
}

}  // namespace signet::pkix
