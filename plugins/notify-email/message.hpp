// notify-email: the RFC 5322 message of one event (docs/plugins/notify-email.md).
//
// Headers From, To, Subject, Date, Message-ID, MIME-Version,
// Auto-Submitted, X-Signet-Event-Id, X-Signet-Event-Type; a
// multipart/alternative body with a text/plain and a text/html part, both
// UTF-8 in base64 (76-character lines). Every line ends in CRLF. Header
// values never carry a CR or LF of their own (subjects come from
// certificate names, which requesters choose).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signet::email {

// "Signet PKI <signet@example.com>" or a bare "signet@example.com".
struct Mailbox {
  std::string display;  // "" when none; CR/LF already taken out
  std::string address;  // what MAIL FROM carries
};

// A deliberately simple check, not RFC 5321's grammar: one '@', a
// non-empty local part and domain, printable ASCII only (no SMTPUTF8), and
// none of space, < > , ; : " ( ) [ ] \ (which would break the To header or
// the SMTP command). At most 254 characters.
bool valid_address(std::string_view address);

// "Name <addr>", "\"Name, Inc.\" <addr>" or "addr"; nullopt when the
// address is not valid_address().
std::optional<Mailbox> parse_mailbox(std::string_view text);

// The From header's value: the display name quoted or RFC 2047 encoded as
// needed, then "<address>".
std::string format_mailbox(const Mailbox& mailbox);

struct MessageInput {
  Mailbox from;
  std::vector<std::string> to;  // valid addresses
  std::string subject;          // UTF-8 text; encoded here
  std::string text;             // the text/plain body
  std::string html;             // the text/html body
  std::string event_id;
  std::string event_type;
  std::chrono::system_clock::time_point date;
};

// The whole message, ready for DATA.
std::string build_message(const MessageInput& input);

// ---- the parts, for unit tests ----

// CR, LF and other control characters replaced by spaces, ends trimmed.
std::string clean_header_value(std::string_view value);
// An unstructured header value (Subject): cleaned, as is when it is
// printable ASCII, else RFC 2047 encoded-words (=?UTF-8?B?...?=) of whole
// characters, folded onto continuation lines. Capped at 900 bytes of text.
std::string encode_unstructured(std::string_view value);
// RFC 5322 §3.3 in UTC: "Thu, 05 Nov 2026 02:00:00 +0000" (never localised).
std::string rfc5322_date(std::chrono::system_clock::time_point time);
// "<evt_...@signet>": the same for every attempt of an event, so mail
// clients and archives see a resent message as the same one. An id with
// characters a msg-id cannot hold is replaced by a hash of it.
std::string message_id(std::string_view event_id);
// The multipart boundary, from a hash of the event id: "=_signet_<32 hex>"
// ("=_" cannot occur in base64 text).
std::string mime_boundary(std::string_view event_id);
// Base64 in lines of 76 characters, each ending in CRLF.
std::string base64_lines(std::string_view data);
// Every line end (CRLF, LF or a lone CR) as CRLF.
std::string to_crlf(std::string_view text);
// Invalid UTF-8 sequences replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace signet::email
