// notify-jsonl: appends every lifecycle event as one JSON line to a file.
// A small, complete example of a Signet plugin; see docs/plugin-authoring.md.
#include <signet/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "path":  {"type": "string", "minLength": 1, "description": "file the events are appended to"},
    "fsync": {"type": "boolean", "description": "fsync after every event (default true)"}
  },
  "required": ["path"],
  "additionalProperties": false
})json";

class JsonLinesNotifier final : public signet::Notifier {
 public:
  JsonLinesNotifier(int fd, bool fsync, signet::Logger& log) : fd_(fd), fsync_(fsync), log_(log) {}
  ~JsonLinesNotifier() override { ::close(fd_); }

  signet::Result<void> notify(const signet::Event& event) override {
    const nlohmann::json line = {
        {"id", event.id}, {"type", signet::to_string(event.type)},
        {"tenant", event.tenant}, {"request_id", event.request_id},
        {"certificate_id", event.certificate_id}, {"time", signet::to_rfc3339(event.time)},
        {"data", event.data}};
    const std::string text = line.dump() + "\n";
    std::lock_guard lock(mutex_);
    // O_APPEND makes each single write land whole at the end of the file.
    if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return io_error("write");
    if (fsync_ && ::fsync(fd_) != 0) return io_error("fsync");
    return {};
  }

 private:
  signet::Error io_error(const char* what) {
    const std::string message = std::string(what) + " failed: " + std::strerror(errno);
    log_.warn("notify-jsonl cannot deliver", {{"error", message}});
    return signet::make_error(signet::ErrorCode::unavailable, message);
  }

  int fd_;
  bool fsync_;
  signet::Logger& log_;
  std::mutex mutex_;
};

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext& context) {
  const std::string path = context.config.at("path").get<std::string>();
  const bool fsync = context.config.value("fsync", true);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    signet::Error error = signet::make_error(signet::ErrorCode::invalid_config, "cannot open the event file");
    error.problems.push_back({"/path", path + ": " + std::strerror(errno)});
    return error;
  }
  return std::unique_ptr<signet::Notifier>(
      std::make_unique<JsonLinesNotifier>(fd, fsync, context.services.logger()));
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "notify-jsonl", "1.0.0", kSchema, 0, make_notifier)
