#include "message.hpp"

#include <encoding/base64.hpp>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include <openssl/evp.h>

namespace signet::email {
namespace {

constexpr std::size_t kMaxHeaderText = 900;  // bytes of a header's text: lines stay under RFC 5322's 998
constexpr std::size_t kEncodedWordBytes = 39;  // 52 base64 characters: "=?UTF-8?B?...?=" is 64, under 75
constexpr std::size_t kBase64LineBytes = 57;   // 76 base64 characters per line (RFC 2045 §6.8)
constexpr std::size_t kFoldAt = 76;

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// At most `max` bytes of UTF-8 `text`, never ending inside a character.
std::string_view cut_at_character(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && continuation_byte(text[end])) --end;
  return text.substr(0, end);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) size = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// RFC 2047 §5: B-encoded words of whole UTF-8 characters, one per line.
std::string encoded_words(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view chunk = cut_at_character(text.substr(pos), kEncodedWordBytes);
    if (chunk.empty()) chunk = text.substr(pos, kEncodedWordBytes);  // not UTF-8 after all: cut anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + encoding::base64(chunk) + "?=";
    pos += chunk.size();
  }
  return out;
}

// A display name as an RFC 5322 phrase: as is, quoted, or encoded.
std::string phrase(std::string_view display) {
  const std::string text(cut_at_character(valid_utf8(display), 200));
  if (!printable_ascii(text)) return encoded_words(text);
  if (text.find_first_of("()<>[]:;@\\,.\"") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// "a@example.com, b@example.com", folded before a line would pass 76.
std::string address_list(const std::vector<std::string>& addresses) {
  std::string out;
  std::size_t line = 4;  // "To: "
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const std::string& address = addresses[i];
    if (i > 0) {
      if (line + 2 + address.size() > kFoldAt) {
        out += ",\r\n ";
        line = 1;
      } else {
        out += ", ";
        line += 2;
      }
    }
    out += address;
    line += address.size();
  }
  return out;
}

// Characters a msg-id's left part may hold here: what event ids are made of.
bool message_id_safe(std::string_view id) {
  return !id.empty() && id.size() <= 200 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

void append_header(std::string& message, std::string_view name, const std::string& value) {
  message += name;
  message += ": ";
  message += value;
  message += "\r\n";
}

void append_part(std::string& message, const std::string& boundary, std::string_view content_type,
                 std::string_view body) {
  message += "--" + boundary + "\r\n";
  append_header(message, "Content-Type", std::string(content_type));
  append_header(message, "Content-Transfer-Encoding", "base64");
  message += "\r\n";
  message += base64_lines(to_crlf(valid_utf8(body)));
}

}  // namespace

bool valid_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos)
    return false;
  constexpr std::string_view kForbidden = "<>,;:\"()[]\\";
  return std::all_of(address.begin(), address.end(), [&](char c) {
    return c > 0x20 && c < 0x7f && kForbidden.find(c) == std::string_view::npos;
  });
}

std::optional<Mailbox> parse_mailbox(std::string_view text) {
  text = trim(text);
  Mailbox mailbox;
  if (!text.empty() && text.back() == '>') {
    const auto open = text.rfind('<');
    if (open == std::string_view::npos) return std::nullopt;
    mailbox.address = std::string(text.substr(open + 1, text.size() - open - 2));
    std::string_view display = trim(text.substr(0, open));
    if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
      display = display.substr(1, display.size() - 2);
      std::string unquoted;
      for (std::size_t i = 0; i < display.size(); ++i) {
        if (display[i] == '\\' && i + 1 < display.size()) ++i;
        unquoted += display[i];
      }
      mailbox.display = clean_header_value(unquoted);
    } else {
      mailbox.display = clean_header_value(display);
    }
  } else {
    mailbox.address = std::string(text);
  }
  if (!valid_address(mailbox.address)) return std::nullopt;
  return mailbox;
}

std::string format_mailbox(const Mailbox& mailbox) {
  if (mailbox.display.empty()) return mailbox.address;
  return phrase(mailbox.display) + " <" + mailbox.address + ">";
}

std::string clean_header_value(std::string_view value) {
  std::string out(value);
  // CR and LF would start a header of the requester's choosing (header
  // injection); the other controls have no place in a header either.
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return std::string(trim(out));
}

std::string encode_unstructured(std::string_view value) {
  const std::string text(cut_at_character(valid_utf8(clean_header_value(value)), kMaxHeaderText));
  // "=?" in plain text would read as the start of an encoded-word.
  if (printable_ascii(text) && text.find("=?") == std::string::npos) return text;
  return encoded_words(text);
}

std::string rfc5322_date(std::chrono::system_clock::time_point time) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) tm = std::tm{};
  const auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return std::string(kDays[(tm.tm_wday % 7 + 7) % 7]) + ", " + two(tm.tm_mday) + " " + kMonths[(tm.tm_mon % 12 + 12) % 12] +
         " " + std::to_string(tm.tm_year + 1900) + " " + two(tm.tm_hour) + ":" + two(tm.tm_min) + ":" +
         two(tm.tm_sec) + " +0000";
}

std::string message_id(std::string_view event_id) {
  const std::string left = message_id_safe(event_id) ? std::string(event_id) : "h" + sha256_hex(event_id).substr(0, 40);
  return "<" + left + "@signet>";
}

std::string mime_boundary(std::string_view event_id) {
  return "=_signet_" + sha256_hex("boundary:" + std::string(event_id)).substr(0, 32);
}

std::string base64_lines(std::string_view data) {
  std::string out;
  out.reserve((data.size() / kBase64LineBytes + 1) * 78);
  for (std::size_t pos = 0; pos < data.size(); pos += kBase64LineBytes) {
    out += encoding::base64(data.substr(pos, kBase64LineBytes));
    out += "\r\n";
  }
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string valid_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out += text[i++];
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0, lowest = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1Fu;
      lowest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0Fu;
      lowest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07u;
      lowest = 0x10000;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      if (!continuation_byte(text[i + k])) ok = false;
      else code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (ok && (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

std::string build_message(const MessageInput& input) {
  const std::string boundary = mime_boundary(input.event_id);
  std::string message;
  append_header(message, "From", format_mailbox(input.from));
  append_header(message, "To", address_list(input.to));
  append_header(message, "Subject", encode_unstructured(input.subject));
  append_header(message, "Date", rfc5322_date(input.date));
  append_header(message, "Message-ID", message_id(input.event_id));
  append_header(message, "MIME-Version", "1.0");
  // RFC 3834: no vacation or out-of-office replies to a robot's mail.
  append_header(message, "Auto-Submitted", "auto-generated");
  append_header(message, "X-Signet-Event-Id", encode_unstructured(input.event_id));
  append_header(message, "X-Signet-Event-Type", encode_unstructured(input.event_type));
  append_header(message, "Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  message += "\r\n";
  message += "This is a MIME message with a plain-text and an HTML version.\r\n";
  append_part(message, boundary, "text/plain; charset=utf-8", input.text);
  append_part(message, boundary, "text/html; charset=utf-8", input.html);
  message += "--" + boundary + "--\r\n";
  return message;
}

}  // namespace signet::email
