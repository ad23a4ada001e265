#include "app/backup.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <pkix/der.hpp>
#include <sys/stat.h>
#include <zip.h>

#include "db/database.hpp"
#include "db/sqlite_snapshot.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kFormat = "signet-backup";
constexpr int kFormatVersion = 1;

// What zip_open's error code means.
std::string zip_open_error(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string why = zip_error_strerror(&e);
  zip_error_fini(&e);
  return why;
}

Error failed(const std::string& message) { return make_error(ErrorCode::unavailable, message); }
Error refused(const std::string& message) { return make_error(ErrorCode::invalid_argument, message); }

// SHA-256 of a stream, fed in pieces.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void add(const char* data, std::size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return pkix::to_hex({reinterpret_cast<const char*>(digest), size});
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

std::string file_sha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  Digest digest;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) digest.add(buffer, static_cast<std::size_t>(in.gcount()));
  return digest.hex();
}

std::string mode_text(fs::perms perms) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(perms) & 07777U);
  return text;
}

// A directory beside `near` (so a rename into place never crosses file systems).
Result<fs::path> scratch_directory(const fs::path& near, const std::string& tag) {
  std::string pattern = (near.parent_path() / (near.filename().string() + "." + tag + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) return failed("cannot make a scratch directory beside " + near.string() + ": " + std::strerror(errno));
  return fs::path(pattern);
}

struct Entry {
  Entry(std::string name_, fs::path source_, bool sqlite_)
      : name(std::move(name_)), source(std::move(source_)), sqlite(sqlite_) {}
  std::string name;  // the path inside data_dir, "/"-separated
  fs::path source;
  bool sqlite = false;
  // Filled in when staged: the copy the archive is made of, and what it holds.
  fs::path staged;
  std::uint64_t size = 0;
  std::string sha256;
  std::string mode;
};

bool is_sqlite_sidecar(const fs::path& path) {
  const std::string name = path.filename().string();
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
        is_sqlite_file((path.parent_path() / name.substr(0, name.size() - s.size())).string()))
      return true;
  }
  return false;
}

// Absolute paths in plugin configs that exist outside data_dir: state the backup does not hold.
void paths_outside(const YAML::Node& node, const fs::path& data, const std::string& instance,
                   std::vector<std::string>& warnings) {
  if (node.IsMap()) {
    for (const auto& entry : node) paths_outside(entry.second, data, instance, warnings);
  } else if (node.IsSequence()) {
    for (const auto& item : node) paths_outside(item, data, instance, warnings);
  } else if (node.IsScalar()) {
    const std::string& value = node.Scalar();
    std::error_code ec;
    if (value.empty() || value.front() != '/' || !fs::exists(value, ec)) return;
    const auto relative = fs::weakly_canonical(value, ec).lexically_relative(data);
    if (relative.empty() || *relative.begin() == "..")
      warnings.push_back("instance " + instance + ": " + value + " is outside data_dir and not in this backup");
  }
}

// The host's own SQLite database ("" on PostgreSQL) and its name in the archive.
std::pair<fs::path, std::string> host_database(const Config& config, const fs::path& data) {
  const std::string db = sqlite_file_of(config.database_url);
  if (db.empty()) return {};
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(db, ec);
  const auto relative = path.lexically_relative(data);
  const bool inside = !relative.empty() && *relative.begin() != "..";
  return {path, inside ? relative.generic_string() : path.filename().string()};
}

// A file written atomically is first written under a temporary name
// (fsutil: "<name>.tmp-<hex>"), then renamed: never part of the state.
bool is_transient(const fs::path& path) { return path.filename().string().find(".tmp-") != std::string::npos; }

// What else data_dir holds: its other SQLite databases first, then the rest.
Result<std::vector<Entry>> collect(const fs::path& data, const fs::path& host_db) {
  std::vector<Entry> sqlite, files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path path = it->path();
    std::error_code status;
    if (!it->is_regular_file(status) || it->is_symlink(status) || path == host_db || is_sqlite_sidecar(path) ||
        is_transient(path))
      continue;
    const bool is_database = is_sqlite_file(path.string());
    (is_database ? sqlite : files).emplace_back(path.lexically_relative(data).generic_string(), path, is_database);
  }
  if (ec) return failed("cannot read data_dir " + data.string() + ": " + ec.message());
  sqlite.insert(sqlite.end(), files.begin(), files.end());
  return sqlite;
}

// Copies the entry into the staging directory; false when it is gone
// (removed since it was listed: it is no longer part of the state).
Result<bool> stage(Entry& entry, const fs::path& staging) {
  entry.staged = staging / entry.name;
  std::error_code ec;
  fs::create_directories(entry.staged.parent_path(), ec);
  if (!fs::exists(entry.source, ec)) return false;
  entry.mode = mode_text(fs::status(entry.source, ec).permissions());
  if (entry.sqlite) {
    if (auto copied = snapshot_sqlite(entry.source.string(), entry.staged.string()); !copied) return std::move(copied).error();
  } else if (!fs::copy_file(entry.source, entry.staged, ec)) {
    if (!fs::exists(entry.source)) return false;
    return failed("cannot copy " + entry.source.string() + ": " + ec.message());
  }
  return true;
}

void describe(Entry& entry) {
  std::error_code ec;
  entry.size = fs::file_size(entry.staged, ec);
  entry.sha256 = file_sha256(entry.staged);
}

json manifest_of(const Config& config, const std::vector<Entry>& entries, const BackupSummary& summary) {
  json files = json::array();
  for (const auto& e : entries)
    files.push_back({{"path", e.name}, {"kind", e.sqlite ? "sqlite" : "file"}, {"size", e.size}, {"sha256", e.sha256},
                     {"mode", e.mode}});
  return {{"format", kFormat}, {"format_version", kFormatVersion}, {"created_at", to_rfc3339(Clock::now())},
          {"signet_version", SIGNET_VERSION}, {"schema_version", summary.schema_version},
          {"database", sqlite_file_of(config.database_url).empty() ? "postgresql" : "sqlite"},
          {"database_included", summary.database_included}, {"data_dir", config.data_dir}, {"files", files},
          {"warnings", summary.warnings}};
}

Result<void> write_zip(const fs::path& out, const std::vector<Entry>& entries, const std::string& manifest) {
  int error = 0;
  zip_t* archive = zip_open(out.c_str(), ZIP_CREATE | ZIP_EXCL, &error);
  if (!archive) return failed("cannot write " + out.string() + ": " + zip_open_error(error));
  auto add = [&](const std::string& name, zip_source_t* source, std::uint32_t mode) {
    if (!source) return false;
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      return false;
    }
    return zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                            (0100000U | mode) << 16) == 0;
  };
  bool ok = true;
  for (const auto& e : entries)
    ok = ok && add(e.name, zip_source_file(archive, e.staged.c_str(), 0, -1), static_cast<std::uint32_t>(std::stoul(e.mode, nullptr, 8)));
  ok = ok && add(kManifest, zip_source_buffer(archive, manifest.data(), manifest.size(), 0), 0600);
  if (!ok || zip_close(archive) != 0) {
    const std::string why = zip_strerror(archive);
    zip_discard(archive);
    return failed("cannot write " + out.string() + ": " + why);
  }
  return {};
}


Result<BackupSummary> backup_unguarded(const Config& config, const std::string& out) {
  std::error_code ec;
  const fs::path data = fs::weakly_canonical(config.data_dir, ec);
  if (ec || !fs::is_directory(data)) return refused("data_dir " + config.data_dir + " is not a directory");
  const fs::path target = fs::absolute(out);
  if (fs::exists(target)) return refused(out + " exists; a backup never overwrites a file");
  auto staging = scratch_directory(target, "staging");
  if (!staging) return std::move(staging).error();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { std::error_code ignored; fs::remove_all(dir, ignored); }
  } cleanup{staging.value()};

  // The host's database first, then the listing of the rest: every file it
  // refers to existed before it was copied, so it is listed and copied too.
  BackupSummary summary;
  std::vector<Entry> entries;
  const auto [host_db, host_db_name] = host_database(config, data);
  if (!host_db.empty()) {
    entries.emplace_back(host_db_name, host_db, true);
    auto staged = stage(entries.back(), staging.value());
    if (!staged) return std::move(staged).error();
    if (!staged.value()) return failed("the database " + host_db.string() + " does not exist");
    summary.database_included = true;
    if (auto copy = Database::open("sqlite://" + entries.back().staged.string(), 1)) summary.schema_version = copy.value()->schema_version();
  } else {
    summary.warnings.push_back("the database is PostgreSQL and is not in this backup: take it with pg_dump "
                               "(docs/operations.md, \"Backup and restore\")");
  }
  auto rest = collect(data, host_db);
  if (!rest) return std::move(rest).error();
  for (auto& entry : rest.value()) {
    auto staged = stage(entry, staging.value());
    if (!staged) return std::move(staged).error();
    if (staged.value()) entries.push_back(std::move(entry));
  }
  for (auto& entry : entries) {
    describe(entry);
    summary.bytes += entry.size;
  }
  summary.files = entries.size();
  for (const auto& instance : config.instances) paths_outside(instance.config, data, instance.name, summary.warnings);

  const std::string manifest = manifest_of(config, entries, summary).dump(2);
  const fs::path partial = staging.value() / "backup.zip";
  if (auto written = write_zip(partial, entries, manifest); !written) return std::move(written).error();
  ::chmod(partial.c_str(), 0600);
  fs::rename(partial, target, ec);
  if (ec) return failed("cannot move the backup to " + out + ": " + ec.message());
  return summary;
}


// A path of the archive that stays inside the directory it is restored to.
bool safe_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos) return false;
  for (const auto& part : fs::path(name)) if (part == ".." || part == ".") return false;
  return true;
}

// {"path", "size", "sha256", "mode"} of the types make_backup writes.
bool well_formed(const json& item) {
  const auto text = [&](const char* key) { return item.contains(key) && item[key].is_string(); };
  if (!item.is_object() || !text("path") || !text("sha256") || !text("mode") || !item.contains("size") ||
      !item["size"].is_number_unsigned() || !safe_name(item["path"].get<std::string>()))
    return false;
  const std::string sha = item["sha256"].get<std::string>(), mode = item["mode"].get<std::string>();
  return sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos && !mode.empty() &&
         mode.size() <= 4 && mode.find_first_not_of("01234567") == std::string::npos;
}

std::string zip_problem(zip_t* archive) { return zip_strerror(archive); }

Result<std::string> read_entry(zip_t* archive, const char* name) {
  zip_file_t* file = zip_fopen(archive, name, 0);
  if (!file) return refused(std::string("the backup has no ") + name + ": it is not a Signet backup, or it is partial");
  std::string out;
  char buffer[1 << 16];
  zip_int64_t n = 0;
  while ((n = zip_fread(file, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  zip_fclose(file);
  if (n < 0) return refused(std::string("the backup is damaged: cannot read ") + name);
  return out;
}

// Writes one entry to `path`, checking its size and SHA-256 against the manifest.
Result<void> extract(zip_t* archive, const json& item, const fs::path& path) {
  const std::string name = item.at("path").get<std::string>();
  zip_file_t* file = zip_fopen(archive, name.c_str(), 0);
  if (!file) return refused("the backup is partial: " + name + " is in its manifest but not in it");
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  Digest digest;
  std::uint64_t size = 0;
  char buffer[1 << 16];
  zip_int64_t n = 0;
  while ((n = zip_fread(file, buffer, sizeof buffer)) > 0) {
    out.write(buffer, n);
    digest.add(buffer, static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
  zip_fclose(file);
  out.close();
  if (n < 0) return refused("the backup is damaged: " + name + " cannot be read (" + zip_problem(archive) + ")");
  if (!out) return failed("cannot write " + path.string());
  if (size != item.at("size").get<std::uint64_t>() || digest.hex() != item.at("sha256").get<std::string>())
    return refused("the backup is damaged: " + name + " does not match its checksum in the manifest");
  ::chmod(path.c_str(), static_cast<mode_t>(std::stoul(item.at("mode").get<std::string>(), nullptr, 8) & 0700));
  return {};
}

// The manifest, and that the archive holds exactly what it lists.
Result<json> checked_manifest(zip_t* archive) {
  auto text = read_entry(archive, kManifest);
  if (!text) return std::move(text).error();
  const json manifest = json::parse(text.value(), nullptr, false);
  if (manifest.is_discarded() || manifest.value("format", "") != kFormat || !manifest.contains("files") ||
      !manifest["files"].is_array())
    return refused("the backup's manifest is not a Signet backup manifest");
  if (!manifest.contains("format_version") || !manifest["format_version"].is_number_integer())
    return refused("the backup's manifest has no format_version");
  if (manifest["format_version"].get<int>() > kFormatVersion)
    return refused("the backup was made by a newer Signet (format " + std::to_string(manifest.value("format_version", 0)) +
                   "); restore it with that release");
  std::set<std::string> listed{kManifest};
  for (const auto& item : manifest["files"]) {
    if (!well_formed(item)) return refused("the backup's manifest has an entry that is not a file of data_dir");
    listed.insert(item["path"].get<std::string>());
  }
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    if (!name || !listed.contains(name)) return refused(std::string("the backup holds ") + (name ? name : "?") + ", which its manifest does not list");
  }
  if (static_cast<std::size_t>(count) != listed.size())
    return refused("the backup is partial: its manifest lists " + std::to_string(listed.size() - 1) + " files, it holds " +
                   std::to_string(count - 1));
  return manifest;
}


Result<RestoreSummary> restore_unguarded(const std::string& archive_path, const std::string& data_dir) {
  std::error_code ec;
  // "D/" names D: without the trailing slash its name is the last part.
  fs::path target = fs::absolute(data_dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec)))
    return refused(data_dir + " exists and is not empty; restore into a new data directory");
  int error = 0;
  zip_t* archive = zip_open(archive_path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!archive) return refused("cannot read " + archive_path + ": " + zip_open_error(error) + " (damaged or partial)");
  std::unique_ptr<zip_t, decltype(&zip_discard)> closer(archive, zip_discard);
  auto manifest = checked_manifest(archive);
  if (!manifest) return std::move(manifest).error();

  if (!fs::exists(target.parent_path(), ec)) return refused("the parent of " + data_dir + " does not exist");
  auto scratch = scratch_directory(target, "restoring");
  if (!scratch) return std::move(scratch).error();
  struct Cleanup {
    fs::path dir;
    bool keep = false;
    ~Cleanup() { if (!keep) { std::error_code ignored; fs::remove_all(dir, ignored); } }
  } cleanup{scratch.value()};
  for (const auto& item : manifest.value()["files"])
    if (auto written = extract(archive, item, scratch.value() / item["path"].get<std::string>()); !written)
      return std::move(written).error();
  // Directories as the host makes them: its own only.
  ::chmod(scratch.value().c_str(), 0700);
  for (auto it = fs::recursive_directory_iterator(scratch.value(), ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory()) ::chmod(it->path().c_str(), 0700);
  if (fs::exists(target, ec)) fs::remove(target, ec);  // the empty directory it replaces
  fs::rename(scratch.value(), target, ec);
  if (ec) return failed("cannot move the restored files to " + data_dir + ": " + ec.message());
  cleanup.keep = true;
  RestoreSummary summary;
  summary.files = manifest.value()["files"].size();
  summary.schema_version = manifest.value().value("schema_version", 0);
  summary.database_included = manifest.value().value("database_included", false);
  summary.created_at = manifest.value().value("created_at", "");
  return summary;
}

}  // namespace

// Anything thrown (a file system error, memory) is a refusal like the
// others; the scratch directories go with the unwinding.
Result<BackupSummary> make_backup(const Config& config, const std::string& out) {
  try {
    return backup_unguarded(config, out);
  } catch (const std::exception& e) {
    return failed(std::string("the backup failed: ") + e.what());
  }
}

Result<RestoreSummary> restore_backup(const std::string& archive, const std::string& data_dir) {
  try {
    return restore_unguarded(archive, data_dir);
  } catch (const std::exception& e) {
    return refused(std::string("the backup cannot be restored: ") + e.what());
  }
}

}  // namespace signet::host
