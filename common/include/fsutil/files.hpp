// Files that must never be seen half-written, lost after a crash, or
// readable with a wider mode than asked.
#pragma once

#include <string>
#include <sys/types.h>

#include <signet/result.hpp>

namespace signet::fsutil {

// Writes data to a new temporary file beside `path` (O_EXCL|O_NOFOLLOW,
// mode set with fchmod, fsync'd), renames it onto `path` and fsyncs the
// directory, so the new content survives power loss once this returns.
Result<void> write_file_atomically(const std::string& path, const std::string& data, mode_t mode);

// The whole file; Error{not_found} when it does not exist.
Result<std::string> read_file(const std::string& path);

// The whole of a file holding a key or a secret. Like ssh with its keys,
// refuses (Error{invalid_config}) a file that group or others may read or
// write; Error{not_found} when it does not exist.
Result<std::string> read_private_file(const std::string& path);

// Creates `dir` and its missing parents with `mode` (the leaf is chmod'ed to it).
Result<void> make_private_directory(const std::string& dir, mode_t mode = 0700);

}  // namespace signet::fsutil
