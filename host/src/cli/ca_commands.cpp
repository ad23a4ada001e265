// signet ca init | import: create or adopt the CAs Signet runs, offline.
#include <iostream>

#include <fsutil/files.hpp>
#include <pkix/pem.hpp>

#include "app/host_app.hpp"
#include "cli/commands.hpp"
#include "db/ledger.hpp"
#include "plugins/instances.hpp"
#include "services/host_services.hpp"

namespace signet::host {
namespace {

constexpr const char* kUsage =
    "usage: signet ca init (--config F | --data-dir D) [--ca NAME]\n"
    "       signet ca import (--config F | --data-dir D) --ca NAME --chain FILE --key FILE";

std::string subject_of(const std::string& pem) {
  auto cert = pkix::read_certificate_pem(pem);
  if (!cert) return "(unreadable)";
  pkix::OpenSslChars line(X509_NAME_oneline(X509_get_subject_name(cert.value().get()), nullptr, 0));
  return line ? line.get() : "(unnamed)";
}

void print_chain(const std::string& name, const std::vector<std::string>& chain) {
  std::cout << "CA " << name << ":\n";
  for (const auto& pem : chain) std::cout << "  " << subject_of(pem) << "\n";
}

// The CAs to act on: the one named, or every CA that Signet manages.
std::vector<const PluginInstance*> managed_cas(const PluginInstances& instances, const std::optional<std::string>& name) {
  std::vector<const PluginInstance*> out;
  for (const auto& i : instances.all())
    if (i.kind == PluginKind::ca && (!name || i.name == *name) && (i.capabilities & SIGNET_CAP_CA_MANAGE))
      out.push_back(instances.find(i.name));  // all() is a copy; find() points into the instances
  return out;
}

int run(const Config& config, const Args& args, bool import) {
  HostServicesImpl services(LogLevel::warn);
  std::vector<std::string> errors;
  const PluginInstances instances = PluginInstances::create(config, services, errors);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (!errors.empty()) return 1;
  const auto cas = managed_cas(instances, args.flag("ca"));
  if (cas.empty()) return refuse(args.flag("ca") ? "no CA named " + *args.flag("ca") + " that Signet manages" : "no CA that Signet manages");
  for (const PluginInstance* i : cas) {
    Result<std::vector<std::string>> chain = std::vector<std::string>{};
    if (import) {
      auto chain_text = fsutil::read_file(*args.flag("chain"));
      auto key_text = fsutil::read_file(*args.flag("key"));
      if (!chain_text || !key_text) return refuse(!chain_text ? chain_text.error().message : key_text.error().message);
      chain = instances.ca(i->name)->import_ca(CaImport{pkix::certificate_pem_blocks(chain_text.value()), key_text.value()});
    } else {
      chain = instances.ca(i->name)->initialize(CaInit{false});
    }
    if (!chain) return refuse("CA " + i->name + ": " + chain.error().message);
    print_chain(i->name, chain.value());
  }
  return 0;
}

}  // namespace

int command_ca(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  const auto& words = args.positional();
  if (!args.only({"config", "data-dir", "database", "ca", "chain", "key"}) || words.size() != 1 || (words[0] != "init" && words[0] != "import"))
    return usage_error(args.error().empty() ? kUsage : args.error());
  const bool import = words[0] == "import";
  if (import && (!args.flag("ca") || !args.flag("chain") || !args.flag("key"))) return usage_error(kUsage);
  auto config = offline_config(args, "ca " + words[0]);
  if (!config) return config.error();
  return run(config.value(), args, import);
}

}  // namespace signet::host
