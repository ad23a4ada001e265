// signet: the host executable and its command-line tools.
#include <iostream>
#include <string>

#include <signet/version.hpp>

#include "cli/commands.hpp"

namespace {

constexpr const char* kUsage = R"(usage: signet <command> [options]

  serve --config FILE                 run the host as FILE describes
  serve --dev [--data-dir D] [--listen ADDR] [--database URL]
                                      run on embedded defaults (HTTPS on 127.0.0.1:8443)
  config check FILE                   print every problem of FILE; exit 1 if any
  plugins list [--config FILE] [--dir DIR]
                                      print the plugins found, with kind and versions
  plugins check [options] LIBRARY [CONFIG]
                                      run the conformance kit against a plugin (signet-plugin-check --help)
  token create --role R [--tenant T] [--service S] [--ttl D] [--network CIDR] | token list | token revoke ID
                                      manage API tokens on a running host
  token bootstrap (--config FILE | --data-dir D [--database URL]) --out FILE [--force]
                                      write the first pki_super_admin token
  audit verify (--config FILE | --data-dir D [--database URL])
                                      recompute the audit log's hash chain; name the first broken record
  migrate (--config FILE | --data-dir D [--database URL]) [--dry-run]
                                      bring the database's schema to this release's (or list what would run)
  ca init (--config FILE | --data-dir D [--database URL]) [--ca NAME]
                                      create the root and issuing CA of each managed CA
  ca import (--config FILE | --data-dir D [--database URL]) --ca NAME --chain FILE --key FILE
                                      adopt an existing issuing CA (chain: issuing CA first)
  cert issue --cn NAME [--san NAME]... [--key-type T] [--csr FILE] [--out DIR]
  cert get ID [--out DIR] | cert renew ID | cert revoke ID [--reason R] | cert list
                                      use a running host (--addr/SIGNET_ADDR, --token/SIGNET_TOKEN,
                                      --cacert/SIGNET_CACERT); `signet cert` shows every option
  request list [--status S] | request get ID | request approve ID [--comment C] | request reject ID --comment C
                                      follow a request; approvers decide on one held for approval
  renew --due [--tenant T]            renew every certificate that is due now, on a running host
  backup (--config FILE | --data-dir D [--database URL]) --out FILE
                                      a consistent copy of a (running) host's data_dir, SQLite included,
                                      with a manifest of checksums
  restore FILE --data-dir D           check a backup and make a new data directory of it
  reload                              a running host reads its configuration file again and applies what
                                      may change live (SIGHUP does the same; docs/operations.md)
  agent --cert ID --out DIR [--exec CMD] [--once] [--renew-before D]
                                      keep server.crt, server.key and ca-chain.crt of ID current in DIR;
                                      renew over mutual TLS; run CMD after a change (`signet agent` for more)
  version                             print the host and SDK versions
)";

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  using namespace signet::host;
  if (command == "serve") return command_serve(argc, argv);
  if (command == "config") return command_config(argc, argv);
  if (command == "plugins") return command_plugins(argc, argv);
  if (command == "token") return command_token(argc, argv);
  if (command == "ca") return command_ca(argc, argv);
  if (command == "cert") return command_cert(argc, argv);
  if (command == "request") return command_request(argc, argv);
  if (command == "audit") return command_audit(argc, argv);
  if (command == "migrate") return command_migrate(argc, argv);
  if (command == "agent") return command_agent(argc, argv);
  if (command == "renew") return command_renew(argc, argv);
  if (command == "reload") return command_reload(argc, argv);
  if (command == "backup") return command_backup(argc, argv);
  if (command == "restore") return command_restore(argc, argv);
  if (command == "version") {
    std::cout << "signet " SIGNET_VERSION " (SDK " << SIGNET_SDK_MAJOR << "." << SIGNET_SDK_MINOR << ", build key "
              << SIGNET_BUILD_KEY << ")\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << (command.empty() ? "" : "signet: unknown command \"" + command + "\"\n") << kUsage;
  return 2;
}
