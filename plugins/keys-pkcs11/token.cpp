#include "token.hpp"

#include <algorithm>

namespace signet::keys_pkcs11 {
namespace {

// What a failed call says about the state it ran in (PKCS #11 §5.1.3 and
// §5.6: closing or losing sessions, logging out, removing the token).
enum class Loss { none, session, login, device, handles };

Loss loss_of(CK_RV rv) {
  switch (rv) {
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
      return Loss::session;
    case CKR_USER_NOT_LOGGED_IN:
      return Loss::login;
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return Loss::device;
    case CKR_OBJECT_HANDLE_INVALID:
    case CKR_KEY_HANDLE_INVALID:
      return Loss::handles;
    default:
      return Loss::none;
  }
}

// The caller's mistake (a key that cannot do this, bad data) or the token's.
ErrorCode code_of(CK_RV rv) {
  switch (rv) {
    case CKR_ARGUMENTS_BAD:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_DATA_INVALID:
    case CKR_DATA_LEN_RANGE:
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_KEY_SIZE_RANGE:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_TEMPLATE_INCONSISTENT:
      return ErrorCode::invalid_argument;
    default:
      return ErrorCode::unavailable;
  }
}

// Token labels are 32 bytes, padded with spaces (§3.2, CK_TOKEN_INFO).
std::string label_of(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  label.erase(label.find_last_not_of(' ') + 1);
  return label;
}

}  // namespace

Result<std::unique_ptr<Token>> Token::open(std::unique_ptr<Module> module, TokenConfig config) {
  std::unique_ptr<Token> token(new Token(std::move(module), std::move(config)));
  auto slot = token->find_slot();
  if (!slot) return std::move(slot).error();
  token->slot_ = slot.value();
  CK_RV failure = CKR_OK;
  auto first = token->open_session(failure);
  if (!first) {
    Error error = std::move(first).error();
    error.code = ErrorCode::invalid_config;
    return error;
  }
  token->idle_.push_back(first.value());
  token->open_sessions_ = 1;
  return token;
}

std::string Token::description() const {
  return config_.slot ? "the token in slot " + std::to_string(*config_.slot) : "token '" + config_.label + "'";
}

Result<CK_SLOT_ID> Token::find_slot() {
  CK_ULONG count = 0;
  CK_RV rv = p11()->C_GetSlotList(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  if (rv == CKR_OK && count > 0) rv = p11()->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return make_error(ErrorCode::invalid_config, "cannot list the module's slots: " + describe(rv));
  slots.resize(count);
  std::vector<std::string> seen;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (p11()->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    const std::string label = label_of(info);
    const bool wanted = config_.slot ? *config_.slot == slot : config_.label == label;
    if (!wanted) {
      seen.push_back("'" + label + "'");
      continue;
    }
    if (!(info.flags & CKF_TOKEN_INITIALIZED) || !(info.flags & CKF_USER_PIN_INITIALIZED))
      return make_error(ErrorCode::invalid_config, description() + " has no user PIN yet (initialise the token first)");
    if (info.flags & CKF_USER_PIN_LOCKED)
      return make_error(ErrorCode::invalid_config, description() + " has locked its user PIN after wrong attempts");
    return slot;
  }
  std::string present;
  for (const auto& label : seen) present += (present.empty() ? "" : ", ") + label;
  return make_error(ErrorCode::invalid_config, "no " + description() + " in " + module_->path() +
                                                   " (tokens present: " + (present.empty() ? "none" : present) + ")");
}

Result<CK_SESSION_HANDLE> Token::open_session(CK_RV& failure) {
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  // Read-write: keys made on the token are token objects (§5.6, C_OpenSession).
  const CK_RV rv = p11()->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) {
    failure = rv;
    return make_error(code_of(rv), "cannot open a session with " + description() + ": " + describe(rv));
  }
  CK_SESSION_INFO info{};
  if (p11()->C_GetSessionInfo(session, &info) == CKR_OK && info.state != CKS_RW_USER_FUNCTIONS &&
      info.state != CKS_RO_USER_FUNCTIONS) {
    if (auto in = log_in(session); !in) {
      p11()->C_CloseSession(session);
      return std::move(in).error();
    }
  }
  return session;
}

Result<void> Token::log_in(CK_SESSION_HANDLE session) {
  std::string pin = config_.pin;
  const CK_RV rv = p11()->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return {};
  const std::string reason = rv == CKR_PIN_INCORRECT ? "the PIN is wrong"
                             : rv == CKR_PIN_LOCKED  ? "the PIN is locked"
                                                     : "log-in failed";
  return make_error(ErrorCode::unavailable,
                    description() + " refused the log-in: " + reason + " (" + describe(rv) + ")");
}

Result<CK_SESSION_HANDLE> Token::borrow(CK_RV& failure) {
  std::unique_lock lock(pool_mutex_);
  const bool ready = session_returned_.wait_for(
      lock, config_.wait, [&] { return !idle_.empty() || open_sessions_ < config_.max_sessions; });
  if (!ready)
    return make_error(ErrorCode::unavailable,
                      "all " + std::to_string(config_.max_sessions) + " sessions of " + description() + " stayed busy");
  if (!idle_.empty()) {
    const CK_SESSION_HANDLE session = idle_.back();
    idle_.pop_back();
    return session;
  }
  ++open_sessions_;
  lock.unlock();
  auto opened = open_session(failure);
  if (!opened) {
    lock.lock();
    --open_sessions_;
    session_returned_.notify_one();
  }
  return opened;
}

void Token::give_back(CK_SESSION_HANDLE session) {
  {
    std::lock_guard lock(pool_mutex_);
    idle_.push_back(session);
  }
  session_returned_.notify_one();
}

// A session that is gone seldom goes alone (C_CloseAllSessions, a restarted
// module): the idle ones the module no longer knows go with it.
void Token::discard(CK_SESSION_HANDLE session) {
  {
    std::lock_guard lock(pool_mutex_);
    --open_sessions_;
    const auto gone = std::remove_if(idle_.begin(), idle_.end(), [&](CK_SESSION_HANDLE idle) {
      CK_SESSION_INFO info{};
      return p11()->C_GetSessionInfo(idle, &info) != CKR_OK;
    });
    open_sessions_ -= static_cast<std::size_t>(idle_.end() - gone);
    idle_.erase(gone, idle_.end());
  }
  p11()->C_CloseSession(session);  // harmless when already closed
  session_returned_.notify_all();
}

Result<void> Token::recover_device(std::uint64_t seen_generation) {
  std::unique_lock device(device_);
  if (generation_.load() != seen_generation) return {};  // another thread did it meanwhile
  {
    std::lock_guard lock(pool_mutex_);
    idle_.clear();  // no operation is running: they hold device_ shared
    open_sessions_ = 0;
  }
  ++generation_;
  if (auto again = module_->reinitialize(); !again) return again;
  auto slot = find_slot();
  if (!slot) return make_error(ErrorCode::unavailable, slot.error().message);
  slot_ = slot.value();
  return {};
}

Result<void> Token::run(const std::string& what, const Operation& operation) {
  for (int attempt = 0;; ++attempt) {
    Loss loss = Loss::none;
    std::uint64_t seen = 0;
    {
      std::shared_lock device(device_);
      seen = generation_.load();
      CK_RV rv = CKR_OK;
      auto session = borrow(rv);
      if (session) {
        rv = operation(session.value());
        loss = loss_of(rv);
        if (loss == Loss::login) (void)log_in(session.value());  // the token logs in every session at once
        if (loss == Loss::session || loss == Loss::device)
          discard(session.value());
        else
          give_back(session.value());
        if (rv == CKR_OK) return {};
      } else {
        loss = loss_of(rv);
        if (loss == Loss::none || loss == Loss::handles) return std::move(session).error();
      }
      if (loss == Loss::none || attempt == 2) {
        Error error = make_error(code_of(rv), what + " failed on " + description() + ": " + describe(rv));
        if (loss != Loss::none) error.code = ErrorCode::unavailable;
        return error;
      }
      if (loss == Loss::handles) generation_.compare_exchange_strong(seen, seen + 1);
      if (logger_)
        logger_->warn(loss == Loss::device    ? "the PKCS#11 token went away; re-initialising the module"
                      : loss == Loss::session ? "PKCS#11 sessions were closed; opening new ones"
                      : loss == Loss::login   ? "the PKCS#11 log-in was lost; logged in again"
                                              : "PKCS#11 object handles went stale; finding the keys again",
                      {{"token", description()}, {"operation", what}, {"ckr", describe(rv)}});
    }
    if (loss == Loss::device)
      if (auto recovered = recover_device(seen); !recovered) return recovered;
  }
}

}  // namespace signet::keys_pkcs11
