// Page cursors: the (time in ms, id) of the last row a page showed, opaque
// to clients (base64url). GET /v1/certificates, /v1/certificates/updates and
// /v1/notifications page with them.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace signet::host {

std::string encode_cursor(long long ms, const std::string& id);
// nullopt for text this API did not hand out. The id may be empty.
std::optional<std::pair<long long, std::string>> decode_cursor(const std::string& cursor);

}  // namespace signet::host
