#include "services/audit_export.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fsutil/files.hpp>

#include "db/audit_chain.hpp"

namespace signet::host {
namespace {

constexpr int kBatch = 1000;

Error file_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::unavailable, "audit export " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

// The seq of the last complete line; a torn last line is cut off.
Result<long long> AuditExport::resume_point() {
  auto text = fsutil::read_file(path_);
  if (!text) return text.error().code == ErrorCode::not_found ? Result<long long>(0LL) : Result<long long>(text.error());
  std::string content = std::move(text).value();
  const std::size_t end = content.rfind('\n');
  const std::size_t complete = end == std::string::npos ? 0 : end + 1;
  if (complete < content.size() && ::truncate(path_.c_str(), static_cast<off_t>(complete)) != 0)
    return file_error("cannot drop a torn last line", path_);
  if (complete == 0) return 0LL;
  const std::size_t before = complete >= 2 ? content.rfind('\n', complete - 2) : std::string::npos;
  const std::size_t begin = before == std::string::npos ? 0 : before + 1;
  const auto last = nlohmann::json::parse(content.substr(begin, complete - begin), nullptr, false);
  if (!last.is_object() || !last.value("seq", nlohmann::json()).is_number_integer())
    return make_error(ErrorCode::invalid_config, "audit export " + path_ + ": its last line is not an audit record");
  return last["seq"].get<long long>();
}

Result<void> AuditExport::start() {
  auto resumed = resume_point();
  if (!resumed) return std::move(resumed).error();
  last_seq_ = resumed.value();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) return file_error("cannot open", path_);
  if (auto first = export_once(); !first) return std::move(first).error();
  thread_ = std::thread([this] { loop(); });
  return {};
}

void AuditExport::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    (void)export_once();  // what the last requests wrote
    ::close(fd_);
    fd_ = -1;
  }
}

Result<int> AuditExport::export_once() {
  int written = 0;
  for (;;) {
    auto records = audit_records_after(db_, last_seq_, kBatch);
    if (!records) return std::move(records).error();
    if (records.value().empty()) break;
    std::string lines;
    for (const auto& r : records.value()) lines += audit_json(r).dump() + "\n";
    for (std::size_t done = 0; done < lines.size();) {
      const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return file_error("cannot write", path_);
      done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd_) != 0) return file_error("cannot sync", path_);
    last_seq_ = records.value().back().seq;
    written += static_cast<int>(records.value().size());
  }
  return written;
}

void AuditExport::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    if (auto done = export_once(); !done)
      log_.error("cannot export the audit log", {{"file", path_}, {"error", done.error().message}});
    lock.lock();
  }
}

}  // namespace signet::host
