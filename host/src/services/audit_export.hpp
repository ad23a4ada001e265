// Copies the audit log, every tenant's, in seq order, to a JSON-lines file
// for log shippers: one record per line as GET /v1/audit shows it, with
// prev_hash and hash, so the receiving end can check the chain and keep
// its head. The file is the only state: after a restart (or a crash that
// tore the last line, which is dropped) the export resumes after the
// last complete line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <signet/services.hpp>

#include "db/database.hpp"

namespace signet::host {

class AuditExport {
 public:
  AuditExport(Database& db, std::string path, std::chrono::milliseconds interval, signet::Logger& log)
      : db_(db), path_(std::move(path)), interval_(interval), log_(log) {}
  ~AuditExport() { stop(); }

  // Error when the file cannot be opened or its last line is not a record.
  Result<void> start();
  void stop();
  // Appends what is new and fsyncs; returns how many records.
  Result<int> export_once();

 private:
  Result<long long> resume_point();
  void loop();

  Database& db_;
  const std::string path_;
  const std::chrono::milliseconds interval_;
  signet::Logger& log_;
  long long last_seq_ = 0;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace signet::host
