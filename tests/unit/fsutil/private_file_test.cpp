// Files holding keys: written 0600, and refused when group or others may read them.
#include <filesystem>

#include <gtest/gtest.h>
#include <fsutil/files.hpp>

namespace signet::fsutil {
namespace {

namespace fs = std::filesystem;

TEST(PrivateFile, OnlyTheOwnerMayReadAKeyFile) {
  const fs::path dir = fs::temp_directory_path() / ("signet-private-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "key.pem").string();
  ASSERT_TRUE(write_file_atomically(path, "secret", 0600));
  EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  auto read = read_private_file(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read.value(), "secret");

  fs::permissions(path, fs::perms::group_read, fs::perm_options::add);
  auto refused = read_private_file(path);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_config);
  EXPECT_NE(refused.error().message.find("(mode 0640); chmod 600 it"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("secret"), std::string::npos);

  EXPECT_EQ(read_private_file((dir / "absent").string()).error().code, ErrorCode::not_found);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace signet::fsutil
