// The plugin loader against deliberately broken libraries (tests/plugins),
// and the real signet binary refusing to start on plugin problems: exit
// status 1 and one line naming the file and the reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "plugins/loader.hpp"
#include "signet_process.hpp"

namespace {

const std::string kBroken = SIGNET_TEST_BROKEN_DIR;
const std::string kPlugins = SIGNET_TEST_PLUGIN_DIR;

using signet::test::lines_of;
using signet::test::run_signet;
using signet::test::TempDir;
using RunResult = signet::test::SignetRun;

// Lines 1-4 of every configuration below; instances start on line 5.
std::string head(const TempDir& dir) {
  return "data_dir: " + dir.path() + "/data\n"
         "server: {listen: \"127.0.0.1:0\", tls: {enabled: false}}\n"
         "plugins:\n"
         "  directories: [" + kPlugins + ", " + kBroken + "]\n";
}

// `signet serve` must refuse the configuration with exactly `expected`.
void expect_serve_refuses(const std::string& body, const std::string& expected_after_file) {
  TempDir dir;
  const std::string file = dir.write("signet.yaml", head(dir) + body);
  const RunResult run = run_signet(dir, "serve --config '" + file + "'");
  EXPECT_EQ(run.status, 1) << run.err;
  const auto lines = lines_of(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_EQ(lines[0], file + ":" + expected_after_file);
}

// ---- the loader itself ----

TEST(PluginLoader, RefusesAMissingFile) {
  const std::string path = kBroken + "/does-not-exist.so";
  const auto opened = signet::host::open_plugin(path);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message, path + ": no such plugin file");
}

TEST(PluginLoader, RefusesALibraryWithoutEntry) {
  const std::string path = kBroken + "/no-entry.so";
  ASSERT_TRUE(std::filesystem::is_regular_file(path));
  const auto opened = signet::host::open_plugin(path);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message, path + ": not a Signet plugin (no signet_plugin_entry entry symbol)");
}

TEST(PluginLoader, RefusesAnotherSdkMajor) {
  const std::string path = kBroken + "/wrong-major.so";
  const auto opened = signet::host::open_plugin(path);
  ASSERT_FALSE(opened);
  const std::string ours = std::to_string(SIGNET_SDK_MAJOR) + "." + std::to_string(SIGNET_SDK_MINOR);
  EXPECT_EQ(opened.error().message, path + ": built for SDK " + std::to_string(SIGNET_SDK_MAJOR + 1) + "." +
                                        std::to_string(SIGNET_SDK_MINOR) + ", this host speaks SDK major " +
                                        std::to_string(SIGNET_SDK_MAJOR) + " (" + ours + ")");
}

TEST(PluginLoader, RefusesANewerSdkMinor) {
  const std::string path = kBroken + "/newer-minor.so";
  const auto opened = signet::host::open_plugin(path);
  ASSERT_FALSE(opened);
  const std::string ours = std::to_string(SIGNET_SDK_MAJOR) + "." + std::to_string(SIGNET_SDK_MINOR);
  EXPECT_EQ(opened.error().message, path + ": built for SDK " + std::to_string(SIGNET_SDK_MAJOR) + "." +
                                        std::to_string(SIGNET_SDK_MINOR + 1) + ", newer than this host's SDK " + ours);
}

TEST(PluginLoader, RefusesAnotherBuildKey) {
  const std::string path = kBroken + "/wrong-build-key.so";
  const auto opened = signet::host::open_plugin(path);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message,
            path + ": build key \"gcc-0/other\" differs from the host's \"" SIGNET_BUILD_KEY "\"");
}

TEST(PluginLoader, AcceptsValidPlugins) {
  const auto jsonl = signet::host::open_plugin(kPlugins + "/notify-jsonl.so");
  ASSERT_TRUE(jsonl) << jsonl.error().message;
  EXPECT_EQ(jsonl->name(), "notify-jsonl");
  EXPECT_EQ(jsonl->descriptor->kind, SIGNET_KIND_NOTIFIER);
  const auto ca = signet::host::open_plugin(kBroken + "/ca-no-revoke.so");
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ(ca->name(), "ca-no-revoke");
  EXPECT_EQ(ca->descriptor->kind, SIGNET_KIND_CA);
  EXPECT_EQ(ca->descriptor->capabilities, 0u);
}

// ---- the real binary refusing to start ----

TEST(ServeRefuses, PluginFileNotInTheDirectories) {
  expect_serve_refuses("  notifier:\n"
                       "    events: {plugin: nope}\n",
                       "6: instance \"events\": no plugin file nope.so in " + kPlugins + ", " + kBroken);
}

TEST(ServeRefuses, ExplicitLibraryMissing) {
  expect_serve_refuses("  notifier:\n"
                       "    events: {plugin: notify-jsonl, library: /nonexistent/dir/notify-jsonl.so}\n",
                       "6: instance \"events\": /nonexistent/dir/notify-jsonl.so: no such plugin file");
}

TEST(ServeRefuses, PluginOfTheWrongKind) {
  expect_serve_refuses("  ca:\n"
                       "    myca: {plugin: notify-jsonl, config: {path: /tmp/never-written.jsonl}}\n",
                       "6: instance \"myca\": " + kPlugins +
                           "/notify-jsonl.so: is a notifier plugin, used as ca instance \"myca\"");
}

TEST(ServeRefuses, DuplicateInstanceName) {
  // ca instances are read before notifiers: the notifier is the duplicate.
  expect_serve_refuses("  ca:\n"
                       "    dup: {plugin: ca-no-revoke}\n"
                       "  notifier:\n"
                       "    dup: {plugin: notify-jsonl, config: {path: /tmp/never-written.jsonl}}\n",
                       "8: duplicate instance name \"dup\"");
}

TEST(ServeRefuses, ConfigMissingARequiredKey) {
  expect_serve_refuses("  notifier:\n"
                       "    events: {plugin: notify-jsonl, config: {}}\n",
                       "6: instance \"events\": config/path: missing required key \"path\"");
}

TEST(ServeRefuses, ConfigWithAnUnknownKey) {
  expect_serve_refuses("  notifier:\n"
                       "    events:\n"
                       "      plugin: notify-jsonl\n"
                       "      config:\n"
                       "        path: /tmp/never-written.jsonl\n"
                       "        colour: blue\n",
                       "10: instance \"events\": config/colour: unknown key \"colour\" (expected one of: fsync, path)");
}

TEST(ServeRefuses, ConfigRejectedByTheFactory) {
  expect_serve_refuses("  notifier:\n"
                       "    hook:\n"
                       "      plugin: rejects-config\n"
                       "      config:\n"
                       "        url: http://x\n",
                       "9: instance \"hook\": config/url: must start with https://");
}

TEST(ServeRefuses, RequiredCapabilityNotOffered) {
  expect_serve_refuses("  ca:\n"
                       "    myca: {plugin: ca-no-revoke, requires: [crl]}\n",
                       "6: instance \"myca\": " + kBroken +
                           "/ca-no-revoke.so: does not offer capability \"crl\" (offers: none)");
}

TEST(ServeRefuses, RevokePipelineSignedByACaWithoutRevoke) {
  expect_serve_refuses("  ca:\n"
                       "    myca: {plugin: ca-no-revoke}\n"
                       "pipelines:\n"
                       "  revoke: {sign: myca}\n",
                       "6: instance \"myca\": " + kBroken +
                           "/ca-no-revoke.so: does not offer capability \"revoke\" (offers: none)");
}

TEST(ServeRefuses, FactoryThrows) {
  // The SDK's guard turns the exception into an error: exit 1, not a crash.
  expect_serve_refuses("  notifier:\n"
                       "    events: {plugin: throws-on-create}\n",
                       "6: instance \"events\": the plugin refused to start: plugin threw: boom from throws-on-create");
}

// ---- signet plugins list ----

TEST(PluginsList, ListsTheInTreeNotifier) {
  TempDir dir;
  const RunResult run = run_signet(dir, "plugins list --dir '" + kPlugins + "'");
  EXPECT_EQ(run.status, 0) << run.err;
  bool found = false;
  for (const auto& line : lines_of(run.out)) {
    if (line.rfind("notify-jsonl ", 0) != 0) continue;
    found = true;
    EXPECT_NE(line.find("kind=notifier"), std::string::npos) << line;
    EXPECT_NE(line.find("version=1.0.0"), std::string::npos) << line;
    EXPECT_NE(line.find("sdk=" + std::to_string(SIGNET_SDK_MAJOR) + "." + std::to_string(SIGNET_SDK_MINOR)), std::string::npos) << line;
    EXPECT_NE(line.find("file=" + kPlugins + "/notify-jsonl.so"), std::string::npos) << line;
  }
  EXPECT_TRUE(found) << run.out;
}

TEST(PluginsList, ReportsEveryRefusedLibrary) {
  TempDir dir;
  const RunResult run = run_signet(dir, "plugins list --dir '" + kBroken + "'");
  EXPECT_EQ(run.status, 1) << run.err;
  int refused = 0;
  for (const auto& line : lines_of(run.out))
    if (line.rfind("refused   " + kBroken + "/", 0) == 0) ++refused;
  EXPECT_EQ(refused, 4) << run.out;  // no-entry, wrong-major, newer-minor, wrong-build-key
  EXPECT_NE(run.out.find("ca-no-revoke  kind=ca"), std::string::npos) << run.out;
}

}  // namespace
