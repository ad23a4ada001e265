// Every configuration under examples/ runs as it is once the environment
// variables it names are set: `config check` accepts it, and a host serving
// it answers /ready.
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SIGNET_TEST_EXAMPLES_DIR))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Examples, EveryExampleChecksAndServes) {
  const auto files = example_files();
  ASSERT_GE(files.size(), 2u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    TempDir dir;
    ::setenv("SIGNET_DATA_DIR", dir.file("data").c_str(), 1);
    ::setenv("SIGNET_LISTEN", "127.0.0.1:0", 1);
    const auto checked = run_signet(dir, "config check " + file);
    EXPECT_EQ(checked.status, 0) << checked.err;
    SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
    ASSERT_TRUE(host.started()) << host.log();
    auto ready = http("GET", host.url() + "/ready", "", "", dir.file("data/ca.pem"));
    ASSERT_TRUE(ready) << ready.error().message;
    EXPECT_EQ(ready.value().status, 200) << ready.value().body;
    EXPECT_EQ(host.stop(), 0);
  }
}

}  // namespace
}  // namespace signet::test
