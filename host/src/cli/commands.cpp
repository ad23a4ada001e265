#include "cli/commands.hpp"

#include <filesystem>
#include <iostream>
#include <sys/stat.h>

#include "app/host_app.hpp"
#include "auth/bootstrap.hpp"
#include "client/args.hpp"
#include "conformance/options.hpp"
#include "db/tenants.hpp"
#include "plugins/instances.hpp"
#include "plugins/loader.hpp"

namespace signet::host {
namespace {

int usage(const std::string& message) {
  std::cerr << "signet: " << message << " (see signet help)\n";
  return 2;
}

// Loads a configuration and prints every problem; nullopt when there were any.
std::optional<Config> checked_config(const std::string& file, bool check_plugins) {
  LoadedConfig loaded = load_config_file(file);
  std::vector<std::string> errors;
  for (const auto& issue : loaded.issues) errors.push_back(issue.to_string());
  if (check_plugins && loaded.issues.empty()) PluginInstances::check(loaded.config, errors);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (!errors.empty()) return std::nullopt;
  return std::move(loaded.config);
}

}  // namespace

int usage_error(const std::string& message) { return usage(message); }

OfflineConfig offline_config(const Args& args, const std::string& command) {
  if (auto file = args.flag("config")) {
    auto loaded = checked_config(*file, false);
    if (!loaded) return OfflineConfig::failed(1);
    return OfflineConfig::of(std::move(*loaded));
  }
  if (auto dir = args.flag("data-dir")) {
    Config config = dev_config(*dir, "127.0.0.1:0");
    if (auto url = args.flag("database")) use_dev_database(config, *url);  // as `serve --dev --database`
    return OfflineConfig::of(std::move(config));
  }
  return OfflineConfig::failed(usage(command + " needs --config FILE or --data-dir D [--database URL]"));
}

int command_serve(int argc, char** argv) {
  Args args(argc, argv, 2, {"dev", "test-clock"});
  if (!args.only({"dev", "test-clock", "config", "data-dir", "listen", "pki-listen", "database"})) return usage(args.error());
  const bool test_clock = args.has("test-clock");
  if (args.has("dev")) {
    const std::string dir = std::filesystem::absolute(args.flag("data-dir").value_or("./signet-dev")).lexically_normal().string();
    Config config = dev_config(dir, args.flag("listen").value_or("127.0.0.1:8443"));
    if (auto db = args.flag("database")) use_dev_database(config, *db);
    if (auto pki = args.flag("pki-listen")) config.revocation.listen = *pki;
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    const std::string token_file = dir + "/admin-token";
    std::cout << "signet dev mode\n  data directory: " << dir << "\n  admin token:    " << token_file
              << "\n  trust this CA:  " << dir << "/ca.pem\n";
    return serve(config, {true, token_file, test_clock});
  }
  const auto file = args.flag("config");
  if (!file) return usage("serve needs --config FILE or --dev");
  auto config = checked_config(*file, false);
  if (!config) return 1;
  return serve(*config, {false, "", test_clock});
}

int command_config(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  if (!args.only({}) || args.positional().size() != 2 || args.positional()[0] != "check")
    return usage(args.error().empty() ? "usage: signet config check FILE" : args.error());
  const auto config = checked_config(args.positional()[1], true);
  if (!config) return 1;
  std::cout << args.positional()[1] << ": ok\n";
  return 0;
}

int command_plugins(int argc, char** argv) {
  // `signet plugins check ...` is the conformance kit, signet-plugin-check.
  if (argc > 2 && std::string(argv[2]) == "check") {
    if (argc == 4 && (std::string(argv[3]) == "--help" || std::string(argv[3]) == "-h")) {
      std::cout << conformance::kCheckUsage;
      return 0;
    }
    std::string error;
    const auto options = conformance::parse_check_options(argc, argv, 3, error);
    if (!options) {
      std::cerr << "signet: plugins check: " << error << "\n" << conformance::kCheckUsage;
      return 2;
    }
    return conformance::run_check(*options);
  }
  Args args(argc, argv, 2, {});
  if (!args.only({"config", "dir"}) || args.positional() != std::vector<std::string>{"list"})
    return usage(args.error().empty() ? "usage: signet plugins list [--config FILE] [--dir DIR] | signet plugins check [options] LIBRARY [CONFIG]" : args.error());
  std::vector<std::string> dirs{default_plugin_dir()};
  if (auto file = args.flag("config")) {
    auto config = checked_config(*file, false);
    if (!config) return 1;
    dirs = config->plugin_dirs;
  }
  if (auto dir = args.flag("dir")) dirs = {*dir};
  int refused = 0;
  for (const auto& path : list_plugin_files(dirs)) {
    auto library = open_plugin(path);
    if (!library) {
      std::cout << "refused   " << library.error().message << "\n";
      ++refused;
      continue;
    }
    const auto& d = *library->descriptor;
    std::cout << d.name << "  kind=" << kind_name(d.kind) << "  version=" << d.plugin_version
              << "  sdk=" << library->sdk_version() << "  capabilities=" << capability_list(d.kind, d.capabilities)
              << "  file=" << path << "\n";
  }
  return refused ? 1 : 0;
}

int command_token_bootstrap(int argc, char** argv) {
  Args args(argc, argv, 2, {"force"});
  if (!args.only({"config", "data-dir", "database", "out", "force"}) || args.positional() != std::vector<std::string>{"bootstrap"})
    return usage(args.error().empty() ? "usage: signet token bootstrap (--config F | --data-dir D) --out FILE" : args.error());
  const auto out = args.flag("out");
  if (!out) return usage("token bootstrap needs --out FILE");
  auto config = offline_config(args, "token bootstrap");
  if (!config) return config.error();
  auto db = Database::open(config.value().database_url, 1);
  if (!db) return refuse(db.error().message);
  auto issued = bootstrap_admin_token(*db.value(), *out, args.has("force"));
  if (!issued) return refuse(issued.error().message);
  std::cout << "wrote a pki_super_admin token (id " << issued->id << ") to " << *out << "\n";
  return 0;
}

}  // namespace signet::host
