#include <pkix/der_writer.hpp>

#include <ctime>

namespace signet::pkix {
namespace {

std::size_t length_octets(std::size_t content) {
  if (content < 0x80) return 1;
  std::size_t n = 0;
  for (; content > 0; content >>= 8) ++n;
  return 1 + n;
}

std::tm utc(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

bool utc_time_range(const std::tm& tm) { return tm.tm_year + 1900 >= 1950 && tm.tm_year + 1900 < 2050; }

// Digits of `value`, zero-padded to `width`, appended to `out`.
void put_digits(std::string& out, int value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i, value /= 10) buffer[i] = static_cast<char>('0' + value % 10);
  out.append(buffer, static_cast<std::size_t>(width));
}

std::string time_text(const std::tm& tm, bool four_digit_year) {
  std::string text;
  text.reserve(15);
  if (four_digit_year) put_digits(text, tm.tm_year + 1900, 4);
  else put_digits(text, (tm.tm_year + 1900) % 100, 2);
  put_digits(text, tm.tm_mon + 1, 2);
  put_digits(text, tm.tm_mday, 2);
  put_digits(text, tm.tm_hour, 2);
  put_digits(text, tm.tm_min, 2);
  put_digits(text, tm.tm_sec, 2);
  text += 'Z';
  return text;
}

}  // namespace

std::size_t der_tlv_size(std::size_t content) { return 1 + length_octets(content) + content; }

void der_put_header(std::string& out, std::uint8_t tag, std::size_t content) {
  out += static_cast<char>(tag);
  if (content < 0x80) {
    out += static_cast<char>(content);
    return;
  }
  const std::size_t n = length_octets(content) - 1;
  out += static_cast<char>(0x80 | n);
  for (std::size_t i = n; i-- > 0;) out += static_cast<char>((content >> (8 * i)) & 0xff);
}

std::string der_wrap(std::uint8_t tag, std::string_view content) {
  std::string out;
  out.reserve(der_tlv_size(content.size()));
  der_put_header(out, tag, content.size());
  out.append(content);
  return out;
}

std::string der_unsigned_integer(std::string_view magnitude) {
  while (magnitude.size() > 1 && magnitude.front() == '\0') magnitude.remove_prefix(1);
  std::string content;
  if (magnitude.empty() || (static_cast<std::uint8_t>(magnitude.front()) & 0x80)) content += '\0';
  content.append(magnitude);
  return der_wrap(der::kInteger, content);
}

std::string der_integer(std::uint64_t value) {
  std::string magnitude;
  for (int shift = 56; shift >= 0; shift -= 8) magnitude += static_cast<char>((value >> shift) & 0xff);
  return der_unsigned_integer(magnitude);
}

std::string der_time(std::chrono::system_clock::time_point time) {
  const std::tm tm = utc(time);
  if (utc_time_range(tm)) return der_wrap(der::kUtcTime, time_text(tm, false));
  return der_wrap(der::kGeneralizedTime, time_text(tm, true));
}

std::size_t der_time_size(std::chrono::system_clock::time_point time) { return utc_time_range(utc(time)) ? 15 : 17; }

std::string der_generalized_time(std::chrono::system_clock::time_point time) {
  return der_wrap(der::kGeneralizedTime, time_text(utc(time), true));
}

std::string der_extension(std::string_view oid_der, bool critical, std::string_view value_der) {
  std::string content(oid_der);
  if (critical) content += std::string("\x01\x01\xff", 3);
  content += der_wrap(der::kOctetString, value_der);
  return der_wrap(der::kSequence, content);
}

}  // namespace signet::pkix
