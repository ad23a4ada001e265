// The conformance kit run as a plugin author runs it, as a separate
// process: against the in-tree plugins that need a server beside them
// (store-postgres on a throwaway PostgreSQL, keys-pkcs11 on a SoftHSM2
// token, notify-webhook with a receiver), and against the broken fixtures,
// each of which must fail with the very case its defect breaks. The plugins
// that need nothing are run through signet_add_plugin_conformance_test
// (tests/conformance/CMakeLists.txt).
#include <gtest/gtest.h>

#include "postgres_server.hpp"
#include "signet_process.hpp"
#include "softhsm_token.hpp"
#include "webhook_receiver.hpp"

namespace signet::test {
namespace {

const std::string kPlugins = SIGNET_TEST_PLUGIN_DIR;
const std::string kBroken = SIGNET_TEST_BROKEN_DIR;
const std::string kScripted = SIGNET_TEST_SCRIPTED_DIR "/ca-scripted.so";

// `signet plugins check` (the CLI's door to the kit) or signet-plugin-check.
CommandResult check(const std::string& arguments, const std::string& environment = "", bool through_cli = false) {
  const std::string program = through_cli ? binary_path() + " plugins check" : std::string(SIGNET_TEST_PLUGIN_CHECK);
  return run_command(environment + (environment.empty() ? "" : " ") + "timeout 300 " + program + " " + arguments);
}

bool has_line_starting(const std::string& output, const std::string& prefix) {
  for (const auto& line : lines_of(output))
    if (line.rfind(prefix, 0) == 0) return true;
  return false;
}

TEST(PluginConformance, StorePostgresPassesOnARealServer) {
  PostgresServer server;
  ASSERT_TRUE(server.started()) << server.log();
  const std::string url = server.create_database();
  ASSERT_FALSE(url.empty());
  TempDir dir;
  const auto config = dir.write("store.yaml", "url: " + url + "\nmaster_key: {file: " + dir.file("master.key") + ", create: true}\n");
  const auto result = check(kPlugins + "/store-postgres.so " + config, "", true);
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(has_line_starting(result.output, "PASS  store.concurrent_writers")) << result.output;
}

TEST(PluginConformance, KeysPkcs11PassesOnASoftHsmToken) {
  SoftHsmToken token;
  ASSERT_TRUE(token.ready()) << token.log();
  TempDir dir;
  const auto config = dir.write("keys.yaml", "module: " + softhsm_module() + "\ntoken: " + token.label() +
                                                 "\npin: " + token.pin() + "\noaep_hash: sha1\n");
  const auto result = check(kPlugins + "/keys-pkcs11.so " + config, token.environment());
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(has_line_starting(result.output, "PASS  keys.generate_ec")) << result.output;
  EXPECT_TRUE(has_line_starting(result.output, "PASS  keys.wrap")) << result.output;
}

TEST(PluginConformance, NotifyWebhookPassesAndTheReceiverGetsTheEvents) {
  WebhookReceiver receiver;
  TempDir dir;
  const auto config = dir.write("webhook.yaml", "url: " + receiver.url() + "\nsecret: conformance-secret-0123456789\n");
  const auto result = check(kPlugins + "/notify-webhook.so " + config);
  EXPECT_EQ(result.status, 0) << result.output;
  // notifier.delivers sent an issued event; the receiver holds it.
  EXPECT_GE(receiver.count_of("\"type\":\"issued\""), 1u);
}

struct BrokenCase {
  std::string name;       // of the test: the fixture and its defect
  std::string plugin;     // library path
  std::string arguments;  // before the library
  std::string config;     // instance config text ("" for none)
  std::string failing;    // the case the defect must fail
};

// The test's name in ctest's listing, not a dump of the struct.
void PrintTo(const BrokenCase& c, std::ostream* out) { *out << c.name; }

class BrokenFixture : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenFixture, FailsWithTheCaseItsDefectBreaks) {
  const BrokenCase& c = GetParam();
  TempDir dir;
  const std::string config = c.config.empty() ? "" : " " + dir.write("config.yaml", c.config);
  const std::string junit = dir.file("results.xml");
  const auto result = check("--junit " + junit + " " + c.arguments + " " + c.plugin + config);
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_TRUE(has_line_starting(result.output, "FAIL  " + c.failing + "  ")) << "expected " << c.failing << " to fail:\n"
                                                                             << result.output;
  // CI systems read the same verdict from the JUnit file.
  const std::string xml = read_file(junit);
  const auto testcase = xml.find("name=\"" + c.failing + "\"");
  ASSERT_NE(testcase, std::string::npos) << xml;
  EXPECT_EQ(xml.find("<failure", testcase), xml.find('<', testcase + 1)) << xml;
}

INSTANTIATE_TEST_SUITE_P(
    PluginConformance, BrokenFixture,
    ::testing::Values(
        BrokenCase{"NoEntry", kBroken + "/no-entry.so", "", "", "descriptor.entry"},
        BrokenCase{"WrongMajor", kBroken + "/wrong-major.so", "", "", "descriptor.sdk_version"},
        BrokenCase{"NewerMinor", kBroken + "/newer-minor.so", "", "", "descriptor.sdk_version"},
        BrokenCase{"WrongBuildKey", kBroken + "/wrong-build-key.so", "", "", "descriptor.build_key"},
        BrokenCase{"ThrowsOnCreate", kBroken + "/throws-on-create.so", "", "", "instance.create"},
        BrokenCase{"RejectsConfig", kBroken + "/rejects-config.so", "", "url: http://plain.example.com\n", "instance.create"},
        BrokenCase{"CaNoRevoke", kBroken + "/ca-no-revoke.so", "", "", "ca.chain"},
        BrokenCase{"CaHidesRevoke", kBroken + "/ca-hides-revoke.so", "", "", "ca.capabilities"},
        BrokenCase{"CaThrows", kBroken + "/ca-throws.so", "", "", "boundary.no_exceptions"},
        BrokenCase{"StoreIgnoresCas", kBroken + "/store-ignores-cas.so", "", "", "store.check_and_set"},
        BrokenCase{"NotifyBadErrors", kBroken + "/notify-bad-errors.so", "", "", "errors.well_formed"},
        BrokenCase{"IntakeBadName", kBroken + "/intake-overflows.so", "", "", "intake.system"},
        BrokenCase{"IntakeOverflows", kBroken + "/intake-overflows.so", "", "", "intake.offers_bounded"},
        BrokenCase{"KeysLeaksKey", kBroken + "/keys-leaks-key.so", "", "", "keys.no_export"},
        BrokenCase{"ScriptedReissues", kScripted, R"(--metadata '{"defect":"reissue"}')", "", "ca.idempotent"},
        BrokenCase{"ScriptedWrongKey", kScripted, R"(--metadata '{"defect":"wrong_key"}')", "", "ca.sign"},
        // A plugin that sleeps instead of answering Pending.
        BrokenCase{"ScriptedSleeps", kScripted, R"(--call-bound 300 --case ca.sign --case timing. --metadata '{"script":["sleep:800"]}')", "",
                   "timing.no_blocking"},
        // A config with a key the schema does not know is refused by the host.
        BrokenCase{"UnknownConfigKey", kPlugins + "/notify-jsonl.so", "", "path: /dev/null\npaht: typo\n", "config.accepts_given"}),
    [](const ::testing::TestParamInfo<BrokenCase>& info) { return info.param.name; });

}  // namespace
}  // namespace signet::test
