// Small DER building blocks (X.690 §8, §10) for the structures Signet
// encodes itself because they can be large or hot: CRLs with millions of
// entries, OCSP responses signed thousands of times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace signet::pkix {

namespace der {
inline constexpr std::uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                              kNull = 0x05, kOid = 0x06, kEnumerated = 0x0a, kUtcTime = 0x17,
                              kGeneralizedTime = 0x18, kSequence = 0x30;
// Context-specific tags: [n] constructed (EXPLICIT or a constructed IMPLICIT type) and primitive.
constexpr std::uint8_t constructed(int n) { return static_cast<std::uint8_t>(0xa0 | n); }
constexpr std::uint8_t primitive(int n) { return static_cast<std::uint8_t>(0x80 | n); }
}  // namespace der

// The size of a TLV whose value has `content` octets.
std::size_t der_tlv_size(std::size_t content);
// Appends tag and definite length; the caller appends the value.
void der_put_header(std::string& out, std::uint8_t tag, std::size_t content);
// Tag, length and value in one piece.
std::string der_wrap(std::uint8_t tag, std::string_view content);

// INTEGER from a big-endian magnitude (a sign octet is added when needed).
std::string der_unsigned_integer(std::string_view magnitude);
std::string der_integer(std::uint64_t value);
// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on.
std::string der_time(std::chrono::system_clock::time_point time);
std::string der_generalized_time(std::chrono::system_clock::time_point time);  // "YYYYMMDDHHMMSSZ"
std::size_t der_time_size(std::chrono::system_clock::time_point time);

// An Extension (RFC 5280 §4.1): extnID, critical (only when true), extnValue
// wrapping `value_der`. `oid_der` is the complete OBJECT IDENTIFIER TLV.
std::string der_extension(std::string_view oid_der, bool critical, std::string_view value_der);

}  // namespace signet::pkix
