// A throwaway SoftHSM2 token for tests: its own softhsm2.conf and token
// directory in a temporary directory (SOFTHSM2_CONF names the file), made
// with softhsm2-util, checked with OpenSC's pkcs11-tool.
#pragma once

#include <string>

#include "signet_process.hpp"

namespace signet::test {

class SoftHsmToken {
 public:
  explicit SoftHsmToken(std::string label = "signet-test", std::string pin = "1234-test-pin");
  bool ready() const { return ready_; }
  std::string log() const { return log_; }

  const std::string& label() const { return label_; }
  const std::string& pin() const { return pin_; }
  const std::string& dir() const { return dir_.path(); }
  std::string config_file() const { return dir_.file("softhsm2.conf"); }
  // "SOFTHSM2_CONF=<file>": the environment a process needs to see this token.
  std::string environment() const { return "SOFTHSM2_CONF=" + config_file(); }
  // Sets SOFTHSM2_CONF in this process, for modules loaded here.
  void use_in_this_process() const;

  // pkcs11-tool with the module, the token and the PIN; its output.
  CommandResult pkcs11_tool(const std::string& arguments) const;
  // pkcs11-tool's description of the private key labelled so ("" when none),
  // from "Private Key Object" to the next object.
  std::string private_key_listing(const std::string& key_label) const;

 private:
  TempDir dir_;
  std::string label_;
  std::string pin_;
  bool ready_ = false;
  std::string log_;
};

// Debian's SoftHSM2 module.
std::string softhsm_module();

}  // namespace signet::test
