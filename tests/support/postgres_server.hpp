// A throwaway PostgreSQL cluster for tests, from Debian's postgresql
// package: initdb in a temporary directory, a free loopback port, fsync
// off (a test survives a crash of the server process, never of the
// machine), stopped and removed at the end. PostgreSQL refuses to run as
// root, so under root the cluster runs as the `postgres` user the package
// creates (or `nobody`).
#pragma once

#include <string>

#include "signet_process.hpp"

namespace signet::test {

class PostgresServer {
 public:
  PostgresServer();  // initdb and start; started() says whether it worked, log() why not
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string log() const;

  // A new, empty database; its postgresql:// URL ("" on failure).
  std::string create_database();
  // Runs SQL as the superuser in `database`; the output of psql.
  CommandResult psql(const std::string& database, const std::string& sql) const;

  // `immediate`: the way a crash stops it (no checkpoint; recovery at start).
  bool stop(bool immediate = false);
  bool start();  // again, on the same port

 private:
  std::string as_owner(const std::string& command) const;  // runuser when we are root
  std::string template_cluster() const;                     // a fresh initdb's data directory
  bool start_on_a_free_port();

  TempDir dir_;
  std::string bin_;   // /usr/lib/postgresql/<v>/bin
  std::string user_;  // "" when not root
  int port_ = 0;
  int databases_ = 0;
  bool started_ = false;
};

// The PostgreSQL binaries' directory ("" when the package is missing).
std::string postgres_bin_dir();

// The cluster this process shares between its tests, started on first use.
PostgresServer& shared_postgres_server();

// The two engines the suites whose behaviour is shared run against.
enum class TestDatabase { sqlite, postgresql };
std::string name_of(TestDatabase engine);  // "SQLite", "PostgreSQL": a test name's suffix
// A fresh, empty database: a SQLite file in `dir`, or a new database on
// the shared cluster; "" when the cluster did not start (see its log()).
std::string fresh_database_url(TestDatabase engine, const std::string& dir);

// When SIGNET_TEST_DATABASE=postgresql, a fresh database on a cluster this
// process starts once (and stops at exit); "" otherwise (SQLite). The
// suites that run against both pass it to the host as `database`.
std::string test_database_url();
bool testing_postgres();

}  // namespace signet::test
