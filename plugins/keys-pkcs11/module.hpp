// A PKCS#11 module (PKCS #11 v2.40 base specification), loaded with dlopen
// and called through its function list. The module is initialised with
// CKF_OS_LOCKING_OK (§5.4, C_Initialize): several threads use it at once,
// each with sessions of its own.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <signet/result.hpp>
#include <string>

namespace signet::keys_pkcs11 {

// "CKR_PIN_INCORRECT (The password or PIN is incorrect)": stable name first.
std::string describe(CK_RV rv);

class Module {
 public:
  // Error{invalid_config} with a one-line reason when the file is missing,
  // is no PKCS#11 module, or C_Initialize fails.
  static Result<std::unique_ptr<Module>> load(const std::string& path);
  ~Module();  // C_Finalize, then dlclose
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  CK_FUNCTION_LIST* operator->() const { return functions_; }
  const std::string& path() const { return path_; }

  // After the device went away (CKR_DEVICE_REMOVED, CKR_CRYPTOKI_NOT_INITIALIZED
  // …): C_Finalize and C_Initialize again. Every session and handle is gone.
  Result<void> reinitialize();

 private:
  Module(std::string path, void* handle, CK_FUNCTION_LIST* functions)
      : path_(std::move(path)), handle_(handle), functions_(functions) {}
  Result<void> initialize();

  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST* functions_;
};

}  // namespace signet::keys_pkcs11
