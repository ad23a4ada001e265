#include "postgres_server.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace signet::test {
namespace {

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

std::string unprivileged_user() {
  for (const char* name : {"postgres", "nobody"})
    if (::getpwnam(name)) return name;
  return "";
}

}  // namespace

std::string postgres_bin_dir() {
  std::string best;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && bin > best) best = bin;
  }
  return best;
}

PostgresServer::PostgresServer() : bin_(postgres_bin_dir()), port_(free_loopback_port()) {
  if (bin_.empty() || dir_.path().empty()) return;
  if (::geteuid() == 0) {
    user_ = unprivileged_user();
    if (user_.empty() || run_command("chown " + user_ + " " + dir_.path()).status != 0) return;
  }
  const std::string cluster = template_cluster();
  const auto copied = cluster.empty() ? CommandResult{1, ""}
                                      : run_command(as_owner("cp -a " + cluster + " " + dir_.file("data")) + " > " +
                                                    dir_.file("initdb.log") + " 2>&1");
  started_ = copied.status == 0 && start_on_a_free_port();
}

// A port is free when it is chosen, not reserved: a test running beside
// this one may bind it first. A start that lost that race takes another.
bool PostgresServer::start_on_a_free_port() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start()) return true;
    if (read_file(dir_.file("server.log")).find("Address already in use") == std::string::npos) return false;
    port_ = free_loopback_port();
  }
  return false;
}

// initdb takes most of a second; a test suite starts hundreds of clusters.
// The first one made in the temporary directory is kept and copied: it is only ever renamed
// into place once complete, so a copy never sees half of one.
std::string PostgresServer::template_cluster() const {
  const std::string version = std::filesystem::path(bin_).parent_path().filename().string();
  const std::string path = std::filesystem::temp_directory_path().string() + "/signet-pg-template-" +
                           std::to_string(::geteuid()) + "-" + version + "-v1";
  if (std::filesystem::exists(path + "/PG_VERSION")) return path;
  const std::string building = dir_.file("template");
  const auto init = run_command(as_owner(bin_ + "/initdb -D " + building +
                                         " -A trust -U signet -E UTF8 --no-sync --no-instructions") +
                                " > " + dir_.file("initdb.log") + " 2>&1");
  if (init.status != 0) return "";
  std::error_code ec;
  std::filesystem::rename(building, path, ec);  // another process may have won; its copy is as good
  return std::filesystem::exists(path + "/PG_VERSION") ? path : "";
}

PostgresServer::~PostgresServer() {
  if (started_) stop(false);
}

std::string PostgresServer::as_owner(const std::string& command) const {
  return user_.empty() ? command : "runuser -u " + user_ + " -- " + command;
}

std::string PostgresServer::log() const {
  return read_file(dir_.file("initdb.log")) + read_file(dir_.file("server.log"));
}

bool PostgresServer::start() {
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.path() +
                              " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200";
  const auto started = run_command(as_owner(bin_ + "/pg_ctl -D " + dir_.file("data") + " -o '" + options + "' -l " +
                                            dir_.file("server.log") + " -w -t 30 start") + " > /dev/null 2>&1");
  started_ = started.status == 0;
  return started_;
}

bool PostgresServer::stop(bool immediate) {
  const auto stopped = run_command(as_owner(bin_ + "/pg_ctl -D " + dir_.file("data") + " -m " +
                                            (immediate ? "immediate" : "fast") + " -w -t 30 stop") + " > /dev/null 2>&1");
  if (stopped.status == 0) started_ = false;
  return stopped.status == 0;
}

CommandResult PostgresServer::psql(const std::string& database, const std::string& sql) const {
  return run_command(bin_ + "/psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                     " -U signet -d " + database + " -c \"" + sql + "\" 2>&1");
}

std::string PostgresServer::create_database() {
  const std::string name = "signet_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  if (psql("postgres", "CREATE DATABASE " + name).status != 0) return "";
  return "postgresql://signet@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

bool testing_postgres() {
  const char* which = std::getenv("SIGNET_TEST_DATABASE");
  return which && std::string(which) == "postgresql";
}

PostgresServer& shared_postgres_server() {
  static std::unique_ptr<PostgresServer> server = std::make_unique<PostgresServer>();
  return *server;
}

std::string name_of(TestDatabase engine) { return engine == TestDatabase::sqlite ? "SQLite" : "PostgreSQL"; }

std::string fresh_database_url(TestDatabase engine, const std::string& dir) {
  if (engine == TestDatabase::sqlite) return "sqlite://" + dir + "/signet.db";
  PostgresServer& server = shared_postgres_server();
  return server.started() ? server.create_database() : "";
}

std::string test_database_url() {
  if (!testing_postgres()) return "";
  std::string url = fresh_database_url(TestDatabase::postgresql, "");
  if (url.empty()) {
    // Never fall back to SQLite quietly: the run would claim what it did not test.
    std::fprintf(stderr, "SIGNET_TEST_DATABASE=postgresql, but no PostgreSQL server started:\n%s\n",
                 shared_postgres_server().log().c_str());
    std::exit(1);
  }
  return url;
}

}  // namespace signet::test
