// signet backup --out FILE and signet restore FILE --data-dir D
// (app/backup.hpp; docs/operations.md, "Backup and restore").
#include <iostream>

#include "app/backup.hpp"
#include "app/host_app.hpp"
#include "cli/commands.hpp"

namespace signet::host {

int command_backup(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  const auto out = args.flag("out");
  if (!args.only({"config", "data-dir", "database", "out"}) || !args.positional().empty() || !out)
    return usage_error((args.error().empty() ? "" : args.error() + "\n") +
                       "usage: signet backup (--config F | --data-dir D [--database URL]) --out FILE");
  auto config = offline_config(args, "backup");
  if (!config) return config.error();
  auto made = make_backup(config.value(), *out);
  if (!made) return refuse(made.error().message);
  const BackupSummary& s = made.value();
  std::cout << "backed up " << s.files << " files (" << s.bytes << " bytes) of " << config.value().data_dir << " to "
            << *out << "\n";
  if (s.database_included) std::cout << "database: SQLite, schema version " << s.schema_version << "\n";
  for (const auto& warning : s.warnings) std::cout << "warning: " << warning << "\n";
  return 0;
}

int command_restore(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  const auto dir = args.flag("data-dir");
  if (!args.only({"data-dir"}) || args.positional().size() != 1 || !dir)
    return usage_error((args.error().empty() ? "" : args.error() + "\n") + "usage: signet restore FILE --data-dir D");
  auto restored = restore_backup(args.positional().front(), *dir);
  if (!restored) return refuse(restored.error().message);
  const RestoreSummary& s = restored.value();
  std::cout << "restored " << s.files << " files of the backup of " << s.created_at << " into " << *dir << "\n";
  if (s.database_included)
    std::cout << "database: SQLite, schema version " << s.schema_version << " (a newer signet migrates it at start)\n";
  else
    std::cout << "database: not in this backup (PostgreSQL): restore it with pg_restore first\n";
  std::cout << "start the host with data_dir: " << *dir << "\n";
  return 0;
}

}  // namespace signet::host
