// One token of a PKCS#11 module: found by label (or slot id), logged in
// with the user PIN, and used through a pool of sessions so that several
// threads sign at once (a session runs one operation at a time, PKCS #11
// §5.6). Sessions stay open while the host runs, so the login, which the
// token keeps for the application while any session is open, stays too.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <signet/services.hpp>
#include <string>
#include <vector>

#include "module.hpp"

namespace signet::keys_pkcs11 {

struct TokenConfig {
  std::string label;               // the token's label; or
  std::optional<CK_SLOT_ID> slot;  // a slot id
  std::string pin;                 // the user PIN
  std::size_t max_sessions = 8;
  std::chrono::milliseconds wait{10000};  // for a free session when all are busy
};

class Token {
 public:
  // Loads nothing itself: finds the token, opens a first session and logs
  // in. Error{invalid_config} with a one-line reason otherwise.
  static Result<std::unique_ptr<Token>> open(std::unique_ptr<Module> module, TokenConfig config);

  // Runs `operation` on a logged-in session no other thread uses meanwhile.
  // A lost session, a lost login or a lost device (the module restarted, the
  // token reconnected) is recovered and the operation retried, twice at most;
  // handles found before a recovery are stale then (see generation()).
  using Operation = std::function<CK_RV(CK_SESSION_HANDLE)>;
  Result<void> run(const std::string& what, const Operation& operation);

  CK_FUNCTION_LIST* p11() const { return module_->operator->(); }
  // Changes whenever object handles found earlier may no longer be valid.
  std::uint64_t generation() const { return generation_.load(); }
  std::string description() const;  // "token 'signet'"
  // Where recoveries are told (a lost session, log-in or device); none by default.
  void set_logger(Logger* logger) { logger_ = logger; }

 private:
  Token(std::unique_ptr<Module> module, TokenConfig config) : module_(std::move(module)), config_(std::move(config)) {}

  Result<CK_SLOT_ID> find_slot();
  // `failure`: the module's answer when it refused the session.
  Result<CK_SESSION_HANDLE> open_session(CK_RV& failure);
  Result<void> log_in(CK_SESSION_HANDLE session);
  Result<CK_SESSION_HANDLE> borrow(CK_RV& failure);
  void give_back(CK_SESSION_HANDLE session);
  void discard(CK_SESSION_HANDLE session);
  Result<void> recover_device(std::uint64_t seen_generation);

  std::unique_ptr<Module> module_;
  TokenConfig config_;
  Logger* logger_ = nullptr;
  CK_SLOT_ID slot_ = 0;
  std::atomic<std::uint64_t> generation_{1};

  std::shared_mutex device_;  // shared by operations, exclusive while the module restarts
  std::mutex pool_mutex_;
  std::condition_variable session_returned_;
  std::vector<CK_SESSION_HANDLE> idle_;  // guarded by pool_mutex_
  std::size_t open_sessions_ = 0;        // guarded by pool_mutex_
};

}  // namespace signet::keys_pkcs11
