#include <fsutil/files.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/rand.h>

namespace signet::fsutil {
namespace {

Error io_failure(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::internal, what + " " + path + ": " + std::strerror(errno));
}

std::string temp_path_for(const std::string& path) {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string suffix;
  for (unsigned char b : bytes) suffix += {hex[b >> 4], hex[b & 15]};
  return path + ".tmp-" + suffix;
}

// The rename is durable only once the directory entry is (fsync(2), "Notes").
Result<void> sync_directory_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_failure("cannot open the directory of", path);
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return io_failure("cannot sync the directory of", path);
  return {};
}

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
  if (!written) {
    ::unlink(temp.c_str());
    return written;
  }
  return sync_directory_of(path);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "no file " + path);
    return io_failure("cannot read", path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Result<void> make_private_directory(const std::string& dir, mode_t mode) {
  // Every directory made here gets `mode`, parents included; existing ones keep theirs.
  std::filesystem::path made;
  for (const auto& part : std::filesystem::path(dir)) {
    made /= part;
    if (::mkdir(made.c_str(), mode) != 0 && errno != EEXIST) return io_failure("cannot create", made.string());
  }
  if (::chmod(dir.c_str(), mode) != 0) return io_failure("cannot set the mode of", dir);
  return {};
}


}  // namespace signet::fsutil

namespace signet::fsutil {

Result<std::string> read_private_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "no file " + path);
    return io_failure("cannot stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(ErrorCode::invalid_config,
                      path + " holds a key but group or others may read it (mode " + mode + "); chmod 600 it");
  }
  return read_file(path);
}

}  // namespace signet::fsutil
