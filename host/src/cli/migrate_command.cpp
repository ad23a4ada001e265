// signet migrate: brings the database's schema to this release's, or with
// --dry-run says what that would do (docs/upgrading.md). `serve` migrates by
// itself at start; this is for upgrades done by hand, after a backup.
#include <iostream>

#include "app/host_app.hpp"
#include "cli/commands.hpp"
#include "db/database.hpp"

namespace signet::host {

int command_migrate(int argc, char** argv) {
  Args args(argc, argv, 2, {"dry-run"});
  if (!args.only({"config", "data-dir", "database", "dry-run"}) || !args.positional().empty())
    return usage_error(args.error().empty() ? "usage: signet migrate (--config F | --data-dir D [--database URL]) [--dry-run]"
                                            : args.error());
  auto config = offline_config(args, "migrate");
  if (!config) return config.error();
  auto db = Database::open(config.value().database_url, 1);
  if (!db) return refuse(db.error().message);
  const int current = db.value()->schema_version();
  auto pending = db.value()->pending_migrations();
  if (!pending) return refuse(pending.error().message);
  std::cout << "schema version " << current << "; this signet knows " << Database::known_schema_version() << "\n";
  if (pending->empty()) {
    std::cout << "nothing to apply\n";
    return 0;
  }
  const bool dry_run = args.has("dry-run");
  std::cout << (dry_run ? "would apply:\n" : "applying:\n");
  for (const auto& m : pending.value()) std::cout << "  " << m.version << "  " << m.name << "\n";
  if (dry_run) return 0;
  if (auto migrated = db.value()->migrate(); !migrated) return refuse(migrated.error().message);
  std::cout << "schema version " << db.value()->schema_version() << "\n";
  return 0;
}

}  // namespace signet::host
