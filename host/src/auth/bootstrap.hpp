// The first pki_super_admin token: written by `signet token bootstrap` and
// by dev mode, into a 0600 file.
#pragma once

#include <string>

#include "auth/tokens.hpp"

namespace signet::host {

// Migrates the database, makes sure the `default` tenant exists, and issues
// a super-admin token into `out_path`. Refuses with Error{conflict} when a
// super admin exists already, unless `force`.
Result<IssuedToken> bootstrap_admin_token(Database& db, const std::string& out_path, bool force);

}  // namespace signet::host
