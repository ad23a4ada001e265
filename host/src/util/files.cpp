#include "util/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ids.hpp"

namespace signet::host {
namespace {

Error io_failure(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::internal, what + " " + path + ": " + std::strerror(errno));
}

std::string temp_path_for(const std::string& path) { return path + ".tmp-" + random_base64url(8); }

Result<void> write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("cannot write", path);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// fchmod because the umask may have taken bits from the open() mode; the
// file is new and ours, so this only ever narrows or restores `mode`.
Result<void> fill_file(int fd, const std::string& data, mode_t mode, const std::string& path) {
  if (::fchmod(fd, mode) != 0) return io_failure("cannot set the mode of", path);
  if (auto written = write_all(fd, data, path); !written) return written;
  if (::fsync(fd) != 0) return io_failure("cannot sync", path);
  return {};
}

Result<void> write_new_file(const std::string& path, const std::string& data, mode_t mode) {
  // O_EXCL|O_NOFOLLOW: never reuse a file or follow a symlink someone placed there.
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return io_failure("cannot create", path);
  auto filled = fill_file(fd, data, mode, path);
  if (::close(fd) != 0 && filled) return io_failure("cannot close", path);
  return filled;
}

}  // namespace

Result<void> write_file_atomically(const std::string& path, const std::string& data, mode_t mode) {
  const std::string temp = temp_path_for(path);
  auto written = write_new_file(temp, data, mode);
  // rename() replaces a symlink at `path` itself; it never writes through it.
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) written = io_failure("cannot rename onto", path);
  if (!written) ::unlink(temp.c_str());
  return written;
}


}  // namespace signet::host
