#include "module.hpp"

#include <dlfcn.h>
#include <p11-kit/p11-kit.h>

#include <cstdio>
#include <filesystem>
#include <utility>

namespace signet::keys_pkcs11 {
namespace {

// The return values an operator meets; others are shown in hex.
const char* name_of(CK_RV rv) {
  switch (rv) {
    case CKR_OK: return "CKR_OK";
    case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
    case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
    case CKR_DATA_LEN_RANGE: return "CKR_DATA_LEN_RANGE";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_ENCRYPTED_DATA_INVALID: return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_OPERATION_ACTIVE: return "CKR_OPERATION_ACTIVE";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
    case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
    case CKR_SESSION_COUNT: return "CKR_SESSION_COUNT";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
    case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_USER_ALREADY_LOGGED_IN: return "CKR_USER_ALREADY_LOGGED_IN";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
    case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_CRYPTOKI_ALREADY_INITIALIZED: return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
    default: return nullptr;
  }
}

}  // namespace

std::string describe(CK_RV rv) {
  const char* name = name_of(rv);
  std::string text;
  if (name) {
    text = name;
  } else {
    char hex[32];
    std::snprintf(hex, sizeof hex, "CKR 0x%08lx", static_cast<unsigned long>(rv));
    text = hex;
  }
  if (const char* message = p11_kit_strerror(rv); message && *message) text += std::string(" (") + message + ")";
  return text;
}

Result<std::unique_ptr<Module>> Module::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return make_error(ErrorCode::invalid_config, "PKCS#11 module " + path + " does not exist");
  // RTLD_LOCAL: the module's own symbols (its OpenSSL, say) stay its own.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return make_error(ErrorCode::invalid_config, std::string("cannot load PKCS#11 module: ") + ::dlerror());
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* functions = nullptr;
  if (!get_list || get_list(&functions) != CKR_OK || !functions) {
    ::dlclose(handle);
    return make_error(ErrorCode::invalid_config, path + " is not a PKCS#11 module (no C_GetFunctionList)");
  }
  std::unique_ptr<Module> module(new Module(path, handle, functions));
  if (auto ready = module->initialize(); !ready) {
    module->functions_ = nullptr;  // nothing to finalize
    return std::move(ready).error();
  }
  return module;
}

Result<void> Module::initialize() {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = functions_->C_Initialize(&args);
  // Already initialised by another user in this process: it stays shared.
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    return make_error(ErrorCode::invalid_config, "PKCS#11 module " + path_ + " failed to initialise: " + describe(rv));
  return {};
}

Result<void> Module::reinitialize() {
  functions_->C_Finalize(nullptr);
  if (auto ready = initialize(); !ready) {
    Error error = std::move(ready).error();
    error.code = ErrorCode::unavailable;
    return error;
  }
  return {};
}

Module::~Module() {
  if (functions_) functions_->C_Finalize(nullptr);
  ::dlclose(handle_);
}

}  // namespace signet::keys_pkcs11
