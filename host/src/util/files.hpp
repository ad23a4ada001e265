// Files that must never be seen half-written or with a wider mode.
#pragma once

#include <string>
#include <sys/types.h>

#include <signet/result.hpp>

namespace signet::host {

// Writes data to a new temporary file beside `path` (O_EXCL|O_NOFOLLOW,
// mode set with fchmod, fsync'd) and renames it onto `path`.
Result<void> write_file_atomically(const std::string& path, const std::string& data, mode_t mode);

}  // namespace signet::host
