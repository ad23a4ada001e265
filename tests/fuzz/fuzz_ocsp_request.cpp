// OCSP request parsing (pkix::parse_ocsp_request) on arbitrary bytes: what
// anyone can POST to /pki/{ca}/ocsp. A request that parses must hold views
// inside the input and CertIDs whose parts lie inside their own DER, and
// must survive being answered with the encoder (echoed CertID and nonce).
#include <cstdint>
#include <string>

#include <pkix/ocsp.hpp>

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::pkix;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_ocsp_request(input);
  const auto* request = std::get_if<OcspRequest>(&parsed);
  if (!request) return 0;
  if (request->certificates.empty() || request->certificates.size() > kOcspMaxCertificates) __builtin_trap();
  if (!inside(request->nonce_extension, input)) __builtin_trap();
  std::vector<OcspSingleResponse> responses;
  for (const auto& id : request->certificates) {
    if (!inside(id.der, input) || !inside(id.issuer_name_hash, id.der) || !inside(id.issuer_key_hash, id.der) ||
        !inside(id.serial, id.der) || id.serial.empty())
      __builtin_trap();
    const std::string serial = ocsp_serial_hex(id.serial);
    if (serial.size() % 2) __builtin_trap();
    responses.push_back({std::string(id.der), OcspCertStatus::good, {}, std::nullopt, {}, {}});
  }
  const OcspResponderId responder{std::string(20, 'k'), std::string("\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 12), ""};
  const std::string tbs = ocsp_response_data_der(responder, {}, responses, request->nonce_extension);
  if (ocsp_successful_response(responder, tbs, "sig").empty()) __builtin_trap();
  return 0;
}
