#include "module.hpp"

#include <dlfcn.h>
#include <p11-kit/p11-kit.h>

#include <cstdio>
#include <filesystem>
#include <utility>

namespace signet::keys_pkcs11 {
namespace {

// The return values an operator meets, by the name the standard gives
// them (spelled once: the macro makes the text from the constant); others
// are shown in hex.
#define SIGNET_CKR_NAME(rv) \
  case rv:                  \
    return #rv;

const char* name_of(CK_RV rv) {
  switch (rv) {
    SIGNET_CKR_NAME(CKR_OK)
    SIGNET_CKR_NAME(CKR_HOST_MEMORY)
    SIGNET_CKR_NAME(CKR_SLOT_ID_INVALID)
    SIGNET_CKR_NAME(CKR_GENERAL_ERROR)
    SIGNET_CKR_NAME(CKR_FUNCTION_FAILED)
    SIGNET_CKR_NAME(CKR_ARGUMENTS_BAD)
    SIGNET_CKR_NAME(CKR_ATTRIBUTE_VALUE_INVALID)
    SIGNET_CKR_NAME(CKR_DATA_LEN_RANGE)
    SIGNET_CKR_NAME(CKR_DEVICE_ERROR)
    SIGNET_CKR_NAME(CKR_DEVICE_MEMORY)
    SIGNET_CKR_NAME(CKR_DEVICE_REMOVED)
    SIGNET_CKR_NAME(CKR_ENCRYPTED_DATA_INVALID)
    SIGNET_CKR_NAME(CKR_KEY_HANDLE_INVALID)
    SIGNET_CKR_NAME(CKR_KEY_TYPE_INCONSISTENT)
    SIGNET_CKR_NAME(CKR_KEY_FUNCTION_NOT_PERMITTED)
    SIGNET_CKR_NAME(CKR_MECHANISM_INVALID)
    SIGNET_CKR_NAME(CKR_MECHANISM_PARAM_INVALID)
    SIGNET_CKR_NAME(CKR_OBJECT_HANDLE_INVALID)
    SIGNET_CKR_NAME(CKR_OPERATION_ACTIVE)
    SIGNET_CKR_NAME(CKR_PIN_INCORRECT)
    SIGNET_CKR_NAME(CKR_PIN_LOCKED)
    SIGNET_CKR_NAME(CKR_PIN_EXPIRED)
    SIGNET_CKR_NAME(CKR_SESSION_CLOSED)
    SIGNET_CKR_NAME(CKR_SESSION_COUNT)
    SIGNET_CKR_NAME(CKR_SESSION_HANDLE_INVALID)
    SIGNET_CKR_NAME(CKR_TEMPLATE_INCOMPLETE)
    SIGNET_CKR_NAME(CKR_TEMPLATE_INCONSISTENT)
    SIGNET_CKR_NAME(CKR_TOKEN_NOT_PRESENT)
    SIGNET_CKR_NAME(CKR_TOKEN_NOT_RECOGNIZED)
    SIGNET_CKR_NAME(CKR_USER_ALREADY_LOGGED_IN)
    SIGNET_CKR_NAME(CKR_USER_NOT_LOGGED_IN)
    SIGNET_CKR_NAME(CKR_USER_PIN_NOT_INITIALIZED)
    SIGNET_CKR_NAME(CKR_BUFFER_TOO_SMALL)
    SIGNET_CKR_NAME(CKR_CRYPTOKI_NOT_INITIALIZED)
    SIGNET_CKR_NAME(CKR_CRYPTOKI_ALREADY_INITIALIZED)
    default:
      return nullptr;
  }
}
#undef SIGNET_CKR_NAME

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
