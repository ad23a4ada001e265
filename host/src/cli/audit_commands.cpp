// signet audit verify: recomputes the audit log's hash chain offline.
#include <iostream>

#include "app/host_app.hpp"
#include "cli/commands.hpp"
#include "db/audit_chain.hpp"

namespace signet::host {

int command_audit(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  if (!args.only({"config", "data-dir", "database"}) || args.positional() != std::vector<std::string>{"verify"})
    return usage_error(args.error().empty() ? "usage: signet audit verify (--config F | --data-dir D)" : args.error());
  auto config = offline_config(args, "audit verify");
  if (!config) return config.error();
  auto db = Database::open(config.value().database_url, 1);
  if (!db) return refuse(db.error().message);
  // An older database gets the chain first (migration 7 chains what it holds).
  if (auto migrated = db.value()->migrate(); !migrated) return refuse(migrated.error().message);
  auto report = verify_audit_chain(*db.value());
  if (!report) return refuse(report.error().message);
  const ChainReport& r = report.value();
  if (r.broken_seq) {
    std::cout << "audit log broken at record " << *r.broken_seq << ": " << r.problem << "\n"
              << "records before it verify (" << r.records << ", the last of them seq " << r.head_seq << ")\n";
    return 1;
  }
  std::cout << "audit log intact: " << r.records << " records; head seq " << r.head_seq << " hash "
            << (r.head_hash.empty() ? "-" : r.head_hash) << "\n"
            << "(keep the head hash elsewhere: a chain cannot show its own tail cut off)\n";
  return 0;
}

}  // namespace signet::host
