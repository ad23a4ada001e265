#include "tls/self_signed.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

namespace signet::host {
namespace {

// Everything about the generated files is checked with the openssl CLI, not
// with our own code.
class SelfSignedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "signet-tls-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    key_ = (dir_ / "key.pem").string();
    cert_ = (dir_ / "cert.pem").string();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static int exit_code(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>&1").c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  struct PipeCloser {
    void operator()(FILE* pipe) const { pclose(pipe); }
  };

  static std::string output_of(const std::string& command) {
    std::unique_ptr<FILE, PipeCloser> pipe(popen((command + " 2>&1").c_str(), "r"));
    std::string out;
    if (!pipe) return out;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
    return out;
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static unsigned mode_of(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return info.st_mode & 07777;
  }

  void write_pair(const std::vector<std::string>& extra_dns = {"signet.internal"}, int days = 30) {
    auto pair = make_self_signed("signet.local", extra_dns, days);
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    auto written = write_key_and_cert(*pair, key_, cert_);
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

  std::string x509(const std::string& options) { return output_of("openssl x509 -noout -in '" + cert_ + "' " + options); }

  std::filesystem::path dir_;
  std::string key_, cert_;
};

TEST_F(SelfSignedTest, WritesKeyPrivateAndCertificateReadable) {
  write_pair();
  EXPECT_EQ(mode_of(key_), 0600u);
  EXPECT_EQ(mode_of(cert_), 0644u);
}

TEST_F(SelfSignedTest, VerifiesAsItsOwnTrustAnchorForServerAuth) {
  write_pair();
  EXPECT_EQ(exit_code("openssl verify -CAfile '" + cert_ + "' '" + cert_ + "'"), 0);
  EXPECT_EQ(exit_code("openssl verify -x509_strict -purpose sslserver -CAfile '" + cert_ + "' '" + cert_ + "'"), 0);
}

TEST_F(SelfSignedTest, CarriesTheLocalNamesAndExtras) {
  write_pair();
  const std::string sans = x509("-ext subjectAltName");
  EXPECT_NE(sans.find("IP Address:127.0.0.1"), std::string::npos) << sans;
  EXPECT_NE(sans.find("IP Address:0:0:0:0:0:0:0:1"), std::string::npos) << sans;  // ::1, as openssl prints it
  EXPECT_NE(sans.find("DNS:localhost"), std::string::npos) << sans;
  EXPECT_NE(sans.find("DNS:signet.internal"), std::string::npos) << sans;
  EXPECT_NE(x509("-subject").find("CN = signet.local"), std::string::npos);
}

TEST_F(SelfSignedTest, HasCriticalCaConstraintsAndServerUsage) {
  write_pair();
  const std::string text = x509("-ext basicConstraints,keyUsage,extendedKeyUsage,subjectKeyIdentifier");
  EXPECT_NE(text.find("Basic Constraints: critical"), std::string::npos) << text;
  EXPECT_NE(text.find("CA:TRUE, pathlen:0"), std::string::npos) << text;
  EXPECT_NE(text.find("Key Usage: critical"), std::string::npos) << text;
  EXPECT_NE(text.find("Digital Signature, Certificate Sign"), std::string::npos) << text;
  EXPECT_NE(text.find("TLS Web Server Authentication"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject Key Identifier"), std::string::npos) << text;
}

TEST_F(SelfSignedTest, UsesAP256KeyThatMatchesTheCertificate) {
  write_pair();
  EXPECT_NE(x509("-text").find("NIST CURVE: P-256"), std::string::npos);
  const std::string cert_key = x509("-pubkey");
  const std::string file_key = output_of("openssl pkey -pubout -in '" + key_ + "'");
  EXPECT_FALSE(file_key.empty());
  EXPECT_EQ(cert_key, file_key);
}

TEST_F(SelfSignedTest, SerialIsRandomPositive128Bits) {
  write_pair();
  const std::string first = x509("-serial");  // "serial=<hex>\n"
  ASSERT_EQ(first.rfind("serial=", 0), 0u) << first;
  const std::string hex = first.substr(7, first.find('\n') - 7);
  EXPECT_EQ(hex.size(), 32u) << hex;  // 128 bits with the top bit set, no sign octet printed
  std::filesystem::remove(key_);
  std::filesystem::remove(cert_);
  write_pair();
  EXPECT_NE(x509("-serial"), first);
}

TEST_F(SelfSignedTest, ValidityIsBackdatedAndEndsAfterTheGivenDays) {
  write_pair({}, 30);
  EXPECT_EQ(exit_code("openssl x509 -noout -in '" + cert_ + "' -checkend " + std::to_string(29 * 86400)), 0);
  EXPECT_NE(exit_code("openssl x509 -noout -in '" + cert_ + "' -checkend " + std::to_string(31 * 86400)), 0);
  // A certificate valid from "now" would fail for a client a second behind;
  // 5 minutes of backdating puts notBefore at least a few minutes in the past.
  EXPECT_EQ(exit_code("openssl verify -attime $(( $(date +%s) - 240 )) -CAfile '" + cert_ + "' '" + cert_ + "'"), 0);
}

TEST_F(SelfSignedTest, ReplacesExistingFilesAndTightensTheKeyMode) {
  {
    std::ofstream(key_) << "old key";
    std::ofstream(cert_) << "old cert";
  }
  ::chmod(key_.c_str(), 0644);
  write_pair();
  EXPECT_EQ(mode_of(key_), 0600u);
  EXPECT_NE(read(key_).find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(read(cert_).find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(SelfSignedTest, ModesDoNotDependOnTheUmask) {
  const mode_t previous = ::umask(077);
  write_pair();
  ::umask(previous);
  EXPECT_EQ(mode_of(key_), 0600u);
  EXPECT_EQ(mode_of(cert_), 0644u);
}

TEST_F(SelfSignedTest, FailsCleanlyWhenTheDirectoryIsMissing) {
  auto pair = make_self_signed("signet.local", {}, 1);
  ASSERT_TRUE(pair.ok());
  const std::string missing = (dir_ / "missing" / "key.pem").string();
  auto written = write_key_and_cert(*pair, missing, cert_);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, ErrorCode::internal);
  EXPECT_FALSE(std::filesystem::exists(cert_));
}

TEST_F(SelfSignedTest, LeavesNoTemporaryFilesBehind) {
  write_pair();
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2);
}

TEST_F(SelfSignedTest, RejectsBadArguments) {
  EXPECT_EQ(make_self_signed("", {}, 30).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_self_signed(std::string(65, 'a'), {}, 30).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_self_signed("signet", {}, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_self_signed("signet", {"a,IP:1.2.3.4"}, 30).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(make_self_signed("signet", {""}, 30).error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace signet::host
