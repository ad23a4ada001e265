// Source networks of tokens: parsing to canonical CIDRs and membership.
#include <gtest/gtest.h>

#include "util/networks.hpp"

namespace signet::host {
namespace {

TEST(Networks, EntriesBecomeCanonicalCidrs) {
  auto nets = canonical_networks({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"});
  ASSERT_TRUE(nets) << nets.error().message;
  EXPECT_EQ(nets.value(), (std::vector<std::string>{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"}));
}

TEST(Networks, MalformedEntriesAreNamed) {
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "300.1.1.1", "example.com", "10.0.0.0/", "10.0.0.0/-1", ""}) {
    auto nets = canonical_networks({"127.0.0.1", bad});
    ASSERT_FALSE(nets) << bad;
    EXPECT_NE(nets.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << nets.error().message;
  }
}

TEST(Networks, AddressesAreMatchedByFamilyAndPrefix) {
  const std::vector<std::string> nets = {"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"};
  EXPECT_TRUE(address_in_networks("10.1.2.3", nets));
  EXPECT_TRUE(address_in_networks("192.0.2.7", nets));
  EXPECT_TRUE(address_in_networks("::ffff:10.9.9.9", nets));  // IPv4 seen through an IPv6 socket
  EXPECT_TRUE(address_in_networks("2001:db8:1::5", nets));
  EXPECT_FALSE(address_in_networks("192.0.2.8", nets));
  EXPECT_FALSE(address_in_networks("11.0.0.1", nets));
  EXPECT_FALSE(address_in_networks("2001:db9::1", nets));
  EXPECT_FALSE(address_in_networks("not an address", nets));
  EXPECT_FALSE(address_in_networks("10.1.2.3", {}));
}

}  // namespace
}  // namespace signet::host
