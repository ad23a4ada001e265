#include "softhsm_token.hpp"

#include <cstdlib>
#include <filesystem>

namespace signet::test {

std::string softhsm_module() {
  for (const char* path : {"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"})
    if (std::filesystem::exists(path)) return path;
  return "/usr/lib/softhsm/libsofthsm2.so";
}

SoftHsmToken::SoftHsmToken(std::string label, std::string pin) : label_(std::move(label)), pin_(std::move(pin)) {
  std::filesystem::create_directories(dir_.file("tokens"));
  dir_.write("softhsm2.conf", "directories.tokendir = " + dir_.file("tokens") +
                                  "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
  const auto made = run_command(environment() + " softhsm2-util --init-token --free --label '" + label_ + "' --pin '" +
                                pin_ + "' --so-pin 'so-" + pin_ + "' 2>&1");
  log_ = made.output;
  ready_ = made.status == 0;
}

void SoftHsmToken::use_in_this_process() const { ::setenv("SOFTHSM2_CONF", config_file().c_str(), 1); }

CommandResult SoftHsmToken::pkcs11_tool(const std::string& arguments) const {
  return run_command(environment() + " pkcs11-tool --module " + softhsm_module() + " --token-label '" + label_ +
                     "' --login --pin '" + pin_ + "' " + arguments + " 2>/dev/null");
}

std::string SoftHsmToken::private_key_listing(const std::string& key_label) const {
  const std::string all = pkcs11_tool("--list-objects --type privkey").output;
  const std::string marker = "label:      " + key_label + "\n";
  const auto at = all.find(marker);
  if (at == std::string::npos) return "";
  const auto start = all.rfind("Private Key Object", at);
  const auto next = all.find("Object;", at);
  return all.substr(start, next == std::string::npos ? std::string::npos : all.rfind('\n', next) - start);
}

}  // namespace signet::test
