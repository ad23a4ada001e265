// The `store` cases: what they hold a SecretStore plugin to, as
// signet/store.hpp and docs/plugin-authoring.md ("Idempotency") promise it.
//
// - Versions count from 1 per path: put "Returns the new version number (1
//   for a new path)", and get without a version returns the newest.
// - Check-and-set is exact: "absent = write unconditionally; 0 = only if the
//   path has no version yet; N = only if the current version is N. A
//   mismatch is Error{conflict}." The host writes certificate bundles with
//   cas 0 then cas 1 and reads conflict as "a rerun already did this".
// - "A deleted or destroyed version (the newest one included) is
//   Error{not_found}; older versions stay readable."
// - list returns "Paths (not versions) that start with prefix, sorted".
// - Every method is thread-safe (plugin.hpp) and no exception crosses the
//   boundary (result.hpp); hostile paths and data are answered, not thrown.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "conformance/suite.hpp"

namespace signet::host::conformance {
namespace {

using Version = std::uint64_t;

constexpr int kAttemptsPerWriter = 5;
constexpr std::size_t kHostileSize = 1024 * 1024;

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

std::string cas_text(std::optional<Version> cas) { return cas ? "cas=" + std::to_string(*cas) : "no cas"; }

// What a call answered, for "... returned X, expected Y".
std::string answer(const Result<Version>& r) { return r ? "version " + std::to_string(*r) : describe(r.error()); }
std::string answer(const Result<Secret>& r) {
  return r ? "version " + std::to_string(r->version) + " (" + std::to_string(r->data.size()) + " bytes)"
           : describe(r.error());
}
std::string answer(const Result<void>& r) { return r ? "ok" : describe(r.error()); }

std::string listing(const std::vector<std::string>& paths) {
  constexpr std::size_t kShown = 6;
  std::string out = "[";
  for (std::size_t i = 0; i < paths.size() && i < kShown; ++i) out += (i ? ", " : "") + quoted(paths[i]);
  if (paths.size() > kShown) out += ", ... (" + std::to_string(paths.size()) + " in all)";
  return out + "]";
}

template <class T>
bool failed_with(const Result<T>& r, ErrorCode code) {
  return !r && r.error().code == code;
}

// Every call of the cases, made through suite.calls.
class StoreCalls {
 public:
  StoreCalls(Suite& suite, SecretStore& store) : suite_(suite), store_(store) {}

  Result<Version> put(const std::string& path, const std::string& data, std::optional<Version> cas = std::nullopt,
                      const nlohmann::json& metadata = nlohmann::json::object()) {
    const PutRequest request{path, data, cas, metadata};
    return suite_.calls.run("put", [&] { return store_.put(request); });
  }
  Result<Secret> get(const std::string& path, std::optional<Version> version = std::nullopt) {
    const GetRequest request{path, version};
    return suite_.calls.run("get", [&] { return store_.get(request); });
  }
  Result<std::vector<std::string>> list(const std::string& prefix) {
    return suite_.calls.run("list", [&] { return store_.list(prefix); });
  }
  Result<void> remove(const std::string& path, std::vector<Version> versions = {}) {
    const DeleteRequest request{path, std::move(versions)};
    return suite_.calls.run("remove", [&] { return store_.remove(request); });
  }
  Result<void> destroy(const std::string& path, std::vector<Version> versions = {}) {
    const DeleteRequest request{path, std::move(versions)};
    return suite_.calls.run("destroy", [&] { return store_.destroy(request); });
  }

 private:
  Suite& suite_;
  SecretStore& store_;
};

std::string fresh_path(Suite& suite, const std::string& leaf) { return "conformance/" + suite.unique() + "/" + leaf; }

std::string version_text(std::optional<Version> version) {
  return version ? "version " + std::to_string(*version) : "the newest version";
}

// "" when put(path, data, cas) answers exactly `expected`; else why not.
std::string expect_put(StoreCalls& store, const std::string& path, const std::string& data, std::optional<Version> cas,
                       Version expected) {
  const auto put = store.put(path, data, cas);
  if (put && *put == expected) return {};
  return "put(" + path + ", " + cas_text(cas) + ") returned " + answer(put) + ", expected version " +
         std::to_string(expected);
}

// "" when put(path, data, cas) is refused with exactly conflict; else why not.
std::string expect_conflict(StoreCalls& store, const std::string& path, const std::string& data, Version cas,
                            const std::string& situation) {
  const auto put = store.put(path, data, cas);
  if (failed_with(put, ErrorCode::conflict)) return {};
  return "put(" + path + ", cas=" + std::to_string(cas) + ") " + situation + " returned " + answer(put) +
         ", expected conflict";
}

// "" when get(path, version) reads `version` holding `data`; else why not.
std::string expect_readable(StoreCalls& store, const std::string& path, std::optional<Version> version, Version expected,
                            const std::string& data) {
  const auto got = store.get(path, version);
  const std::string call = "get(" + path + ", " + version_text(version) + ")";
  if (!got) return call + " returned " + answer(got) + ", expected version " + std::to_string(expected);
  if (got->version != expected)
    return call + " returned version " + std::to_string(got->version) + ", expected " + std::to_string(expected);
  if (got->data != data)
    return call + " returned data of " + std::to_string(got->data.size()) + " bytes that differ from the " +
           std::to_string(data.size()) + " bytes put";
  return {};
}

// "" when get(path, version) is exactly not_found; else why not.
std::string expect_not_found(StoreCalls& store, const std::string& path, std::optional<Version> version,
                             const std::string& situation) {
  const auto got = store.get(path, version);
  if (failed_with(got, ErrorCode::not_found)) return {};
  return "get(" + path + ", " + version_text(version) + ") " + situation + " returned " + answer(got) +
         ", expected not_found";
}

// Runs checks in order and stops at the first that says something.
template <class... Checks>
std::string first_problem(Checks&&... checks) {
  std::string problem;
  ((problem.empty() ? (void)(problem = checks()) : (void)0), ...);
  return problem;
}

Verdict versions(Suite& suite, StoreCalls& store) {
  const std::string path = fresh_path(suite, "versions");
  const nlohmann::json metadata = {{"k", "v"}};
  if (auto p = expect_put(store, path, "A", std::nullopt, 1); !p.empty()) return Verdict::fail(p);
  const auto second = store.put(path, "B", std::nullopt, metadata);
  if (!second || *second != 2)
    return Verdict::fail("put(" + path + ", no cas) after version 1 returned " + answer(second) + ", expected version 2");
  if (auto p = first_problem([&] { return expect_readable(store, path, std::nullopt, 2, "B"); },
                             [&] { return expect_readable(store, path, 1, 1, "A"); });
      !p.empty())
    return Verdict::fail(p);

  const auto newest = store.get(path);
  if (!newest) return Verdict::fail("get(" + path + ") returned " + answer(newest) + " the second time");
  if (newest->metadata != metadata)
    return Verdict::fail("get(" + path + ") returned metadata of " + std::to_string(newest->metadata.dump().size()) +
                         " bytes, not the {\"k\":\"v\"} put with version 2");
  const auto now = std::chrono::system_clock::now();
  if (newest->created_at.time_since_epoch().count() == 0)
    return Verdict::fail("get(" + path + ") returned created_at zero (the epoch)");
  if (newest->created_at > now + std::chrono::minutes(5))
    return Verdict::fail("get(" + path + ") returned created_at " + to_rfc3339(newest->created_at) +
                         ", more than 5 minutes after now (" + to_rfc3339(now) + ")");
  return Verdict::pass("versions 1 and 2 read back with their data, metadata round-trips, created_at " +
                       to_rfc3339(newest->created_at));
}

Verdict check_and_set(Suite& suite, StoreCalls& store) {
  const std::string path = fresh_path(suite, "cas");
  const auto problem = first_problem(
      [&] { return expect_conflict(store, path, "refused", 1, "on a new path"); },
      [&] { return expect_not_found(store, path, std::nullopt, "after the refused put with cas=1"); },
      [&] { return expect_put(store, path, "one", 0, 1); },
      [&] { return expect_conflict(store, path, "refused", 0, "on a path at version 1"); },
      [&] { return expect_readable(store, path, std::nullopt, 1, "one"); },
      [&] { return expect_put(store, path, "two", 1, 2); },
      [&] { return expect_conflict(store, path, "refused", 1, "(stale) on a path at version 2"); },
      [&] { return expect_readable(store, path, std::nullopt, 2, "two"); });
  if (!problem.empty()) return Verdict::fail(problem);
  return Verdict::pass("cas 1 on a new path, cas 0 on an existing one and a stale cas 1 were refused with conflict and "
                       "left the newest version as it was; cas 0 and cas 1 wrote versions 1 and 2");
}

Verdict not_found(Suite& suite, StoreCalls& store) {
  const std::string never = fresh_path(suite, "never-written");
  if (auto p = expect_not_found(store, never, std::nullopt, "of a path never written"); !p.empty())
    return Verdict::fail(p);
  const std::string path = fresh_path(suite, "one-version");
  if (auto p = expect_put(store, path, "only", std::nullopt, 1); !p.empty()) return Verdict::fail(p);
  if (auto p = expect_not_found(store, path, 99, "of a path at version 1"); !p.empty()) return Verdict::fail(p);
  return Verdict::pass("unknown path and unknown version 99 are both not_found");
}

Verdict soft_delete(Suite& suite, StoreCalls& store) {
  const std::string path = fresh_path(suite, "soft-delete");
  if (auto p = first_problem([&] { return expect_put(store, path, "one", std::nullopt, 1); },
                             [&] { return expect_put(store, path, "two", std::nullopt, 2); });
      !p.empty())
    return Verdict::fail(p);
  if (const auto removed = store.remove(path); !removed)
    return Verdict::fail("remove(" + path + ", newest) returned " + answer(removed) + ", expected ok");
  if (auto p = first_problem(
          [&] { return expect_not_found(store, path, std::nullopt, "after remove of the newest version"); },
          [&] { return expect_readable(store, path, 1, 1, "one"); },
          [&] { return expect_not_found(store, path, 2, "after remove of the newest version"); });
      !p.empty())
    return Verdict::fail(p);
  if (const auto removed = store.remove(path, {1}); !removed)
    return Verdict::fail("remove(" + path + ", versions [1]) returned " + answer(removed) + ", expected ok");
  if (auto p = expect_not_found(store, path, 1, "after remove of version 1"); !p.empty()) return Verdict::fail(p);
  return Verdict::pass("remove hid the newest version (older one still readable), then version 1");
}

Verdict destroy(Suite& suite, StoreCalls& store) {
  const std::string path = fresh_path(suite, "destroy");
  if (auto p = first_problem([&] { return expect_put(store, path, "one", std::nullopt, 1); },
                             [&] { return expect_put(store, path, "two", std::nullopt, 2); });
      !p.empty())
    return Verdict::fail(p);
  if (const auto destroyed = store.destroy(path, {1}); !destroyed)
    return Verdict::fail("destroy(" + path + ", versions [1]) returned " + answer(destroyed) + ", expected ok");
  if (auto p = first_problem([&] { return expect_not_found(store, path, 1, "after destroy of version 1"); },
                             [&] { return expect_readable(store, path, 2, 2, "two"); },
                             [&] { return expect_readable(store, path, std::nullopt, 2, "two"); });
      !p.empty())
    return Verdict::fail(p);
  if (const auto destroyed = store.destroy(path); !destroyed)
    return Verdict::fail("destroy(" + path + ", newest) returned " + answer(destroyed) + ", expected ok");
  if (auto p = expect_not_found(store, path, std::nullopt, "after destroy of the newest version"); !p.empty())
    return Verdict::fail(p);
  return Verdict::pass("destroy of version 1 left version 2 readable; destroy of the newest made it not_found");
}

// "" when list(prefix) returns exactly `expected`, in that order; else why not.
std::string expect_listing(StoreCalls& store, const std::string& prefix, const std::vector<std::string>& expected) {
  const auto listed = store.list(prefix);
  if (!listed) return "list(" + quoted(prefix) + ") returned " + describe(listed.error()) + ", expected " + listing(expected);
  if (*listed != expected)
    return "list(" + quoted(prefix) + ") returned " + listing(*listed) + ", expected " + listing(expected) +
           " (exactly these, sorted)";
  return {};
}

Verdict list_prefix(Suite& suite, StoreCalls& store) {
  const std::string base = "conformance/" + suite.unique();
  std::vector<std::string> all = {base + "/a/x", base + "/a/y", base + "/b/z", base + "/ab"};
  for (const auto& path : all)
    if (auto p = expect_put(store, path, "listed", std::nullopt, 1); !p.empty()) return Verdict::fail(p);
  std::sort(all.begin(), all.end());
  const auto problem =
      first_problem([&] { return expect_listing(store, base + "/a/", {base + "/a/x", base + "/a/y"}); },
                    [&] { return expect_listing(store, base + "/", all); },
                    [&] { return expect_listing(store, base + "/unused/", {}); });
  if (!problem.empty()) return Verdict::fail(problem);
  return Verdict::pass("list returned exactly the paths under each prefix, sorted; an unused prefix lists nothing");
}

// What the writers of concurrent_writers saw, shared between their threads.
struct WriterTally {
  std::atomic<int> successes{0};
  std::atomic<int> conflicts{0};
  std::mutex mutex;
  std::string unexpected;  // the first answer that was neither success nor conflict

  void note_unexpected(const std::string& what) {
    std::lock_guard lock(mutex);
    if (unexpected.empty()) unexpected = what;
  }
};

// One writer: reads the newest version and puts with cas = that version.
void write_with_cas(StoreCalls& store, const std::string& path, int writer, WriterTally& tally) {
  for (int attempt = 0; attempt < kAttemptsPerWriter; ++attempt) {
    const auto newest = store.get(path);
    if (!newest && newest.error().code != ErrorCode::not_found) {
      tally.note_unexpected("get(" + path + ") returned " + describe(newest.error()));
      return;
    }
    const Version seen = newest ? newest->version : 0;
    const auto put = store.put(path, "writer " + std::to_string(writer) + " attempt " + std::to_string(attempt), seen);
    if (put) ++tally.successes;
    else if (put.error().code == ErrorCode::conflict) ++tally.conflicts;
    else tally.note_unexpected("put(" + path + ", cas=" + std::to_string(seen) + ") returned " + describe(put.error()) +
                               ", expected a version or conflict");
  }
}

Verdict concurrent_writers(Suite& suite, StoreCalls& store) {
  const std::string path = fresh_path(suite, "contended");
  const int writers = std::max(1, suite.options.threads);
  WriterTally tally;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) threads.emplace_back([&, w] { write_with_cas(store, path, w, tally); });
  for (auto& t : threads) t.join();

  if (!tally.unexpected.empty()) return Verdict::fail(tally.unexpected);
  const int successes = tally.successes.load();
  if (successes < 1)
    return Verdict::fail(std::to_string(writers) + " writers made " + std::to_string(writers * kAttemptsPerWriter) +
                         " puts with cas = the newest version read, and none succeeded");
  const auto newest = store.get(path);
  if (!newest) return Verdict::fail("get(" + path + ") after the writers returned " + describe(newest.error()));
  if (newest->version != static_cast<Version>(successes))
    return Verdict::fail("after " + std::to_string(successes) + " successful check-and-set puts the newest version is " +
                         std::to_string(newest->version) + "; check-and-set let writers overwrite each other");
  return Verdict::pass(std::to_string(writers) + " writers: " + std::to_string(successes) + " puts succeeded, " +
                       std::to_string(tally.conflicts.load()) + " refused with conflict; newest version " +
                       std::to_string(newest->version));
}

std::string random_bytes(Suite& suite, std::size_t size) {
  std::string data(size, '\0');
  suite.services.random().fill(std::span(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
  for (std::size_t i = 0; i < size; i += 4096) data[i] = '\0';  // NULs for certain, not only by chance
  return data;
}

struct HostilePath {
  std::string name;  // how the verdict names it
  std::string path;
};

std::vector<HostilePath> hostile_paths(Suite& suite) {
  return {{"the empty path", ""},
          {"a 64 KiB path", "conformance/" + suite.unique() + "/" + std::string(64 * 1024, 'p')},
          {"invalid UTF-8", "conformance/" + suite.unique() + "/\xff\xfe"},
          {"a path climbing out of its directory", "../../conformance-escape"},
          {"a NUL byte", "conformance/" + suite.unique() + std::string(1, '\0') + "nul"}};
}

// "" when 1 MiB of random bytes put at a path reads back identical (or the
// put is refused, which sets `refused`); else why not.
std::string binary_round_trip(Suite& suite, StoreCalls& store, bool& refused) {
  const std::string path = fresh_path(suite, "binary");
  const std::string data = random_bytes(suite, kHostileSize);
  const auto put = store.put(path, data);
  if (!put) {
    refused = true;
    return {};
  }
  const auto got = store.get(path, *put);
  if (!got) return "get(" + path + ", version " + std::to_string(*put) + ") of 1 MiB of binary data returned " +
                   describe(got.error());
  if (got->data == data) return {};
  const auto differ = std::mismatch(data.begin(), data.end(), got->data.begin(), got->data.end());
  return "1 MiB of binary data put at " + path + " read back as " + std::to_string(got->data.size()) +
         " bytes, first differing at byte " + std::to_string(differ.first - data.begin());
}

Verdict hostile_inputs(Suite& suite, StoreCalls& store) {
  const auto thrown_before = suite.calls.exceptions().size();
  std::vector<std::string> refused;
  const auto paths = hostile_paths(suite);
  for (const auto& hostile : paths) {
    if (!store.put(hostile.path, "hostile")) refused.push_back(hostile.name);
    (void)store.get(hostile.path);
    if (!hostile.path.empty()) (void)store.list(hostile.path);  // list("") is every path: legitimate, maybe huge
  }
  bool binary_refused = false;
  const std::string binary = binary_round_trip(suite, store, binary_refused);
  if (binary_refused) refused.push_back("1 MiB of binary data");

  const auto thrown = suite.calls.exceptions();
  if (thrown.size() > thrown_before)
    return Verdict::fail(std::to_string(thrown.size() - thrown_before) +
                         " call(s) threw on hostile input, first: " + one_line(thrown[thrown_before]));
  if (!binary.empty()) return Verdict::fail(binary);
  std::string names;
  for (const auto& name : refused) names += (names.empty() ? "" : ", ") + name;
  return Verdict::pass(std::to_string(refused.size()) + " of " + std::to_string(paths.size() + 1) +
                       " hostile puts refused" + (names.empty() ? "" : " (" + names + ")") +
                       "; no exception crossed" + (binary_refused ? "" : "; 1 MiB of binary data round-trips"));
}

}  // namespace

void run_store_cases(Suite& suite) {
  auto& store = static_cast<SecretStore&>(*suite.instance);
  StoreCalls calls(suite, store);
  suite.run("store.versions", [&]() -> Verdict { return versions(suite, calls); });
  suite.run("store.check_and_set", [&]() -> Verdict { return check_and_set(suite, calls); });
  suite.run("store.not_found", [&]() -> Verdict { return not_found(suite, calls); });
  suite.run("store.soft_delete", [&]() -> Verdict { return soft_delete(suite, calls); });
  suite.run("store.destroy", [&]() -> Verdict { return destroy(suite, calls); });
  suite.run("store.list_prefix", [&]() -> Verdict { return list_prefix(suite, calls); });
  suite.run("store.concurrent_writers", [&]() -> Verdict { return concurrent_writers(suite, calls); });
  suite.run("store.hostile_inputs", [&]() -> Verdict { return hostile_inputs(suite, calls); });
}

}  // namespace signet::host::conformance
