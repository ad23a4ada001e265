// rbac.roles in the configuration: custom roles beside the built-in ones,
// refused with the line when malformed.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace signet::host {
namespace {

TEST(RbacConfig, CustomRolesAreReadAndCheckedWithTheirLines) {
  const auto ok = load_config_text(R"(rbac:
  roles:
    release_bot:
      description: Issues for the release pipeline
      permissions: [cert:request, cert:read]
)", "test.yaml");
  ASSERT_TRUE(ok.issues.empty()) << ok.issues.front().message;
  ASSERT_EQ(ok.config.roles.size(), 1u);
  EXPECT_EQ(ok.config.roles[0].name, "release_bot");
  EXPECT_EQ(ok.config.roles[0].permissions, (std::vector<std::string>{"cert:request", "cert:read"}));

  const auto bad = load_config_text(R"(rbac:
  roles:
    pki_admin:
      permissions: [cert:read]
    sloppy:
      permissions: [read everything]
)", "test.yaml");
  ASSERT_EQ(bad.issues.size(), 2u);
  EXPECT_EQ(bad.issues[0].line, 3);
  EXPECT_NE(bad.issues[0].message.find("built in"), std::string::npos);
  EXPECT_EQ(bad.issues[1].line, 5);
  EXPECT_NE(bad.issues[1].message.find("resource:action"), std::string::npos);
}

}  // namespace
}  // namespace signet::host
