// Roles and their grants (seed 003), and the authorize phase: what each
// role reaches, and how `_own` grants narrow it.
#include <gtest/gtest.h>

#include "auth/authorize.hpp"
#include "rbac/roles.hpp"

namespace signet::host {
namespace {

TEST(Roles, BuiltInRolesGrantWhatSeed003Says) {
  const Roles roles = Roles::builtin();
  EXPECT_EQ(roles.all().size(), 7u);  // seed 003's six and secrets_user (the secrets API)
  EXPECT_EQ(roles.access({"secrets_user"}, "secret:read"), Access::own);
  EXPECT_EQ(roles.access({"pki_super_admin"}, "tenant:create"), Access::all);
  EXPECT_EQ(roles.access({"pki_admin"}, "tenant:create"), Access::none);
  EXPECT_EQ(roles.access({"pki_admin"}, "cert:revoke"), Access::all);
  EXPECT_EQ(roles.access({"cert_manager"}, "cert:revoke"), Access::all);
  EXPECT_EQ(roles.access({"cert_manager"}, "audit:read"), Access::none);
  EXPECT_EQ(roles.access({"service_account"}, "cert:read"), Access::own);
  EXPECT_EQ(roles.access({"service_account"}, "cert:revoke"), Access::none);
  EXPECT_EQ(roles.access({"auditor"}, "audit:read"), Access::all);
  EXPECT_EQ(roles.access({"auditor"}, "cert:export"), Access::none);  // no private keys for auditors
  EXPECT_EQ(roles.access({"code_signer"}, "cert:request"), Access::none);
}

TEST(Roles, TheWidestGrantOfSeveralRolesWinsAndUnknownRolesGrantNothing) {
  const Roles roles = Roles::builtin();
  EXPECT_EQ(roles.access({"service_account", "cert_manager"}, "cert:read"), Access::all);
  EXPECT_EQ(roles.access({"no_such_role"}, "cert:read"), Access::none);
  EXPECT_EQ(roles.access({}, "cert:read"), Access::none);
}

TEST(Roles, AWildcardCoversOneResourceOnly) {
  Roles roles;
  ASSERT_TRUE(roles.add({"releaser", "", {"cert:*", "audit:read_own"}}));
  EXPECT_EQ(roles.access({"releaser"}, "cert:anything"), Access::all);
  EXPECT_EQ(roles.access({"releaser"}, "certx:read"), Access::none);  // not a prefix match
  EXPECT_EQ(roles.access({"releaser"}, "audit:read"), Access::own);
}

TEST(Roles, MalformedOrDuplicateCustomRolesAreRefused) {
  Roles roles = Roles::builtin();
  EXPECT_FALSE(roles.add({"pki_admin", "", {"cert:read"}}));      // built in
  EXPECT_FALSE(roles.add({"Bad Name", "", {"cert:read"}}));
  EXPECT_FALSE(roles.add({"ok", "", {"cert"}}));
  EXPECT_FALSE(roles.add({"ok", "", {"cert:READ"}}));
  EXPECT_FALSE(roles.add({"ok", "", {":read"}}));
  EXPECT_TRUE(roles.add({"ok", "", {"cert:read", "ca:*"}}));
  EXPECT_FALSE(roles.add({"ok", "", {"cert:read"}}));             // twice
}

HostError denial(const std::variant<Access, HostError>& outcome) {
  EXPECT_TRUE(std::holds_alternative<HostError>(outcome));
  return std::holds_alternative<HostError>(outcome) ? std::get<HostError>(outcome) : HostError{};
}

TEST(Authorize, OwnGrantsNeedACallerWithAService) {
  const Roles roles = Roles::builtin();
  Principal caller{"tok_1", "ten_1", "default", {"service_account"}, "", "token"};
  EXPECT_EQ(denial(authorize(roles, caller, "cert:read")).code, "permission_denied");

  caller.service = "checkout";
  const auto own = authorize(roles, caller, "cert:read");
  ASSERT_TRUE(std::holds_alternative<Access>(own));
  EXPECT_EQ(std::get<Access>(own), Access::own);

  const HostError denied = denial(authorize(roles, caller, "cert:revoke"));
  EXPECT_EQ(denied.code, "permission_denied");
  EXPECT_NE(denied.message.find("cert:revoke"), std::string::npos);
}

TEST(Authorize, AdminsReachEveryObjectOfTheirTenant) {
  const Principal caller{"tok_1", "ten_1", "default", {"pki_admin"}, "", "token"};
  const auto access = authorize(Roles::builtin(), caller, "cert:export");
  ASSERT_TRUE(std::holds_alternative<Access>(access));
  EXPECT_EQ(std::get<Access>(access), Access::all);
}

}  // namespace
}  // namespace signet::host

namespace signet::host {
namespace {

TEST(Roles, NobodyHandsOutMoreThanTheyHold) {
  Roles roles = Roles::builtin();
  ASSERT_TRUE(roles.add({"reader", "", {"cert:read"}}));
  ASSERT_TRUE(roles.add({"cert_all", "", {"cert:*"}}));
  EXPECT_TRUE(roles.within({"pki_super_admin"}, "pki_admin"));
  EXPECT_TRUE(roles.within({"pki_super_admin"}, "pki_super_admin"));
  EXPECT_FALSE(roles.within({"pki_admin"}, "pki_super_admin"));  // tenant:* is not the admin's to give
  EXPECT_TRUE(roles.within({"pki_admin"}, "pki_admin"));
  EXPECT_TRUE(roles.within({"pki_admin"}, "service_account"));
  EXPECT_TRUE(roles.within({"pki_admin"}, "cert_manager"));
  EXPECT_TRUE(roles.within({"cert_manager"}, "reader"));
  EXPECT_TRUE(roles.within({"cert_manager"}, "service_account"));  // every _own grant is covered by a full one
  EXPECT_FALSE(roles.within({"cert_manager"}, "cert_all"));  // a wildcard needs a wildcard
  EXPECT_TRUE(roles.within({"pki_admin"}, "cert_all"));
  EXPECT_FALSE(roles.within({"service_account"}, "reader"));  // own is less than all
  EXPECT_FALSE(roles.within({"pki_super_admin"}, "no_such_role"));
}

}  // namespace
}  // namespace signet::host
