// notify-email end to end: the real host (internal CA, keys it makes kept in
// store-local) sends its events as e-mail to a real SMTP server, aiosmtpd
// (tests/support/smtp_server.py, run with Debian's /usr/bin/python3), over
// STARTTLS with a private CA and with AUTH required. Messages are read back
// with Python's email package, never with our own code.
//
// DRAFT. What it relies on:
// - existing helpers only: TempDir, SignetProcess, run_command, read_file,
//   http (signet_process.hpp); host_config, internal_ca_plugins,
//   bootstrap_token, json_of (e2e_helpers.hpp); SIGNET_TEST_SOURCE_DIR and
//   SIGNET_TEST_PLUGIN_DIR (tests/e2e/CMakeLists.txt);
// - defined here: SmtpServer (the Python server as a child process),
//   make_server_certificate (openssl CLI), parsed_message;
// - not yet wired: plugins/CMakeLists.txt must build notify-email into the
//   plugin directory, and tests/e2e/CMakeLists.txt should list it in
//   add_dependencies(signet_e2e_tests ...);
// - /usr/bin/python3 with python3-aiosmtpd 1.4 (Debian 12), and openssl.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kSmtpUser = "signet";
constexpr const char* kSmtpPassword = "an smtp password of some length";
constexpr const char* kPasswordVariable = "SIGNET_TEST_SMTP_PASSWORD";

std::string smtp_script() { return std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/support/smtp_server.py"; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// tests/support/smtp_server.py as a child process, recording messages under
// `dir`/messages. Port 0 picks a free port; a given port (and the same
// `dir`) brings a server back where an earlier one was.
class SmtpServer {
 public:
  SmtpServer(std::string dir, std::vector<std::string> options, int port = 0)
      : dir_(std::move(dir)), log_(dir_ + ".log") {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    std::filesystem::remove(dir_ + "/port", ec);  // never read an earlier server's port
    std::vector<std::string> args{kPython, smtp_script(), "--dir", dir_, "--port", std::to_string(port)};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kPython, argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 150 && pid_ > 0; ++i) {  // 15 s at most
      const std::string text = read_file(dir_ + "/port");
      if (!text.empty() && text.back() == '\n') {
        port_ = std::atoi(text.c_str());
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  ~SmtpServer() { stop(); }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  bool started() const { return pid_ > 0 && port_ > 0; }
  int port() const { return port_; }
  std::string log() const { return read_file(log_); }

  // SIGTERM, then SIGKILL after 10 s; the port is closed once this returns.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // The .eml files received so far, in order.
  std::vector<std::string> messages() const {
    std::vector<std::pair<int, std::string>> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/messages", ec))
      if (entry.path().extension() == ".eml")
        found.emplace_back(std::atoi(entry.path().stem().c_str()), entry.path().string());
    std::sort(found.begin(), found.end());
    std::vector<std::string> paths;
    for (auto& entry : found) paths.push_back(std::move(entry.second));
    return paths;
  }

  bool wait_for_messages(std::size_t count, int seconds) const {
    for (int i = 0; i < seconds * 10; ++i) {
      if (messages().size() >= count) return true;
      std::this_thread::sleep_for(100ms);
    }
    return messages().size() >= count;
  }

  // The envelope the server recorded beside <path>.eml.
  static json envelope(const std::string& eml_path) {
    const std::string meta = eml_path.substr(0, eml_path.size() - 4) + ".json";
    return json::parse(read_file(meta), nullptr, false);
  }

 private:
  std::string dir_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

struct ServerTls {
  std::string ca, cert, key;
};

// A private CA and a server certificate for 127.0.0.1 and localhost, made
// with the openssl CLI.
ServerTls make_server_certificate(const TempDir& dir) {
  ServerTls tls{dir.file("smtp-ca.pem"), dir.file("smtp.pem"), dir.file("smtp.key")};
  const std::string ca_key = dir.file("smtp-ca.key"), csr = dir.file("smtp.csr");
  const std::string ext = dir.write("smtp-ext.cnf",
                                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                    "basicConstraints=CA:FALSE\n"
                                    "keyUsage=digitalSignature\n"
                                    "extendedKeyUsage=serverAuth\n");
  for (const std::string& command :
       {"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + ca_key + " -out " + tls.ca +
            " -subj '/CN=Test SMTP CA' -days 2",
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + tls.key + " -out " + csr +
            " -subj /CN=localhost",
        "openssl x509 -req -in " + csr + " -CA " + tls.ca + " -CAkey " + ca_key + " -CAcreateserial -out " + tls.cert +
            " -days 2 -extfile " + ext}) {
    const auto made = run_command(command);
    EXPECT_EQ(made.status, 0) << command << "\n" << made.output;
  }
  return tls;
}

// A message as Python's email package reads it (smtp_server.py --dump-eml):
// {headers: [[name, value]...], subject, content_type, parts: [{content_type,
// charset, transfer_encoding, text}], defects, crlf_only}.
json parsed_message(const std::string& eml_path) {
  const auto dumped = run_command(std::string(kPython) + " " + smtp_script() + " --dump-eml " + eml_path);
  EXPECT_EQ(dumped.status, 0) << dumped.output;
  return json::parse(dumped.output, nullptr, false);
}

// The first header of that name (any case), decoded and unfolded; "" when absent.
std::string header(const json& message, const std::string& name) {
  const auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
  };
  for (const auto& h : message.value("headers", json::array()))
    if (lower(h[0].get<std::string>()) == lower(name)) return h[1].get<std::string>();
  return "";
}

std::string part_text(const json& message, const std::string& content_type) {
  for (const auto& part : message.value("parts", json::array()))
    if (part.value("content_type", "") == content_type) return part.value("text", "");
  return "";
}

class NotifyEmail : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/setup installs python3-aiosmtpd: without it this suite fails rather than skips.
    ASSERT_EQ(run_command(std::string(kPython) + " -c 'import aiosmtpd'").status, 0)
        << "python3-aiosmtpd is not installed for " << kPython << "; run scripts/setup";
    ASSERT_TRUE(std::filesystem::exists(std::string(SIGNET_TEST_PLUGIN_DIR) + "/notify-email.so"))
        << "build the notify-email plugin (plugins/CMakeLists.txt) into " << SIGNET_TEST_PLUGIN_DIR;
    tls_ = make_server_certificate(dir_);
    // The host resolves ${env:} in plugin config from its environment,
    // which it inherits from this process.
    ::setenv(kPasswordVariable, kSmtpPassword, 1);
  }

  std::vector<std::string> server_options() const {
    return {"--tls-cert", tls_.cert, "--tls-key", tls_.key, "--require-starttls",
            "--auth", std::string(kSmtpUser) + ":" + kSmtpPassword};
  }

  // Writes the host's config with a notify-email instance `mail` sending
  // to 127.0.0.1:port, and bootstraps the admin token.
  void configure(int port) {
    const std::string extra =
        internal_ca_plugins(dir_, "        bootstrap: true\n"
                                  "        root: {common_name: Corp Root, key: {type: ecdsa}}\n"
                                  "        issuing: {common_name: Corp Issuing, key: {type: ecdsa}}\n") +
        "  store:\n"
        "    local: {plugin: store-local, config: {path: " + dir_.path() + "/data/store.db, master_key: "
        "{file: " + dir_.path() + "/data/store.key, create: true}}}\n"
        "  notifier:\n"
        "    mail:\n"
        "      plugin: notify-email\n"
        "      config:\n"
        "        smtp:\n"
        "          host: 127.0.0.1\n"
        "          port: " + std::to_string(port) + "\n"
        "          tls: starttls\n"
        "          username: " + kSmtpUser + "\n"
        "          password: '${env:" + kPasswordVariable + "}'\n"
        "          ca_file: " + tls_.ca + "\n"
        "          timeout_seconds: 10\n"
        "        from: 'Signet PKI <signet@example.com>'\n"
        "        to: [pki-team@example.com]\n"
        "        recipients_from: [owner_email, requester_email, backup_email]\n"
        // The certificate lives 30 days, inside the first expiry warning:
        // its expiring event would be a second message.
        "        events: [issued, revoked, failed]\n"
        "pipelines:\n"
        "  issue: {validate: [profile-policy], sign: corp, store: local, notify: [mail]}\n"
        "  revoke: {notify: [mail]}\n"
        "notifications: {poll_interval: 100ms, retry: {initial: 200ms, max: 1s}}\n";
    config_ = dir_.write("signet.yaml", host_config(dir_, extra));
    token_ = bootstrap_token(dir_, config_);
    ASSERT_FALSE(token_.empty()) << run_signet(dir_, "config check " + config_).err;
  }

  std::unique_ptr<SignetProcess> start_host() {
    auto host = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_}, dir_.file("host.log"));
    EXPECT_TRUE(host->started()) << host->log();
    return host;
  }

  json call(SignetProcess& host, const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host.url() + path, body.is_null() ? "" : body.dump(), token_, dir_.path() + "/data/ca.pem");
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return json::object();
    json out = json_of(r.value());
    out["_status"] = r.value().status;
    return out;
  }

  json issue(SignetProcess& host, const std::string& name) {
    const json body = {{"common_name", name},
                       {"sans", {{"dns", {name}}}},
                       {"key", {{"type", "ecdsa"}}},
                       {"metadata", {{"owner_email", "Owner@Example.com"},
                                     {"backup_email", "not an address"},
                                     {"requester", "jdoe"}}}};
    json issued = call(host, "POST", "/v1/certificates", body);
    EXPECT_EQ(issued["_status"], 201) << issued.dump();
    return issued;
  }

  // The certificate's notifications once `done` holds for the first, or
  // the last answer after `seconds`.
  template <class Done>
  json notifications(SignetProcess& host, const std::string& certificate_id, int seconds, Done done) {
    json page;
    for (int i = 0; i < seconds * 10; ++i) {
      page = call(host, "GET", "/v1/notifications?certificate_id=" + certificate_id);
      if (page.contains("items") && !page["items"].empty() && done(page["items"][0])) break;
      std::this_thread::sleep_for(100ms);
    }
    return page;
  }

  TempDir dir_;
  ServerTls tls_;
  std::string config_, token_;
};

TEST_F(NotifyEmail, SendsAnIssuedEventOverStarttlsWithAuth) {
  SmtpServer smtp(dir_.file("smtp"), server_options());
  ASSERT_TRUE(smtp.started()) << smtp.log();
  ASSERT_NO_FATAL_FAILURE(configure(smtp.port()));
  auto host = start_host();
  ASSERT_TRUE(host->started());

  const json issued = issue(*host, "mail.example.com");
  const std::string id = issued.value("id", ""), serial = issued.value("serial", "");
  ASSERT_FALSE(id.empty());
  ASSERT_FALSE(serial.empty());
  ASSERT_TRUE(smtp.wait_for_messages(1, 20)) << host->log() << smtp.log();

  json delivered = notifications(*host, id, 10, [](const json& n) { return n.value("status", "") == "delivered"; });
  ASSERT_FALSE(delivered["items"].empty()) << delivered.dump();
  json& notification = delivered["items"][0];
  EXPECT_EQ(notification["status"], "delivered") << delivered.dump();
  EXPECT_EQ(notification["notifier"], "mail");
  EXPECT_EQ(notification["event_type"], "issued");
  const std::string event_id = notification.value("event_id", "");
  ASSERT_FALSE(event_id.empty());

  const auto files = smtp.messages();
  ASSERT_EQ(files.size(), 1u);
  // The envelope: MAIL FROM is the bare address of `from`; RCPT TO is `to`
  // and then the owner from the metadata; the invalid backup_email is
  // skipped (and logged by key), requester_email was never given.
  json envelope = SmtpServer::envelope(files[0]);
  EXPECT_EQ(envelope["mail_from"], "signet@example.com");
  EXPECT_EQ(envelope["rcpt_tos"], json::array({"pki-team@example.com", "Owner@Example.com"})) << envelope.dump();
  EXPECT_EQ(envelope["tls"], true);  // STARTTLS: the server requires it before MAIL
  EXPECT_EQ(envelope["authenticated"], true);
  EXPECT_EQ(envelope["auth_login"], kSmtpUser);
  EXPECT_TRUE(contains(host->log(), "backup_email")) << host->log();

  json message = parsed_message(files[0]);
  ASSERT_TRUE(message.is_object()) << read_file(files[0]);
  EXPECT_EQ(message["defects"], json::array());
  EXPECT_EQ(message["crlf_only"], true);
  EXPECT_TRUE(contains(header(message, "From"), "<signet@example.com>")) << header(message, "From");
  EXPECT_TRUE(contains(header(message, "From"), "Signet PKI"));
  EXPECT_TRUE(contains(header(message, "To"), "pki-team@example.com"));
  EXPECT_TRUE(contains(header(message, "To"), "Owner@Example.com"));
  EXPECT_EQ(message["subject"], "[Signet] Certificate issued: mail.example.com");
  EXPECT_EQ(header(message, "Message-ID"), "<" + event_id + "@signet>");
  EXPECT_EQ(header(message, "X-Signet-Event-Id"), event_id);
  EXPECT_EQ(header(message, "X-Signet-Event-Type"), "issued");
  EXPECT_EQ(header(message, "MIME-Version"), "1.0");
  EXPECT_TRUE(std::regex_match(header(message, "Date"),
                               std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000)")))
      << header(message, "Date");
  EXPECT_EQ(message["content_type"], "multipart/alternative");

  const std::string text = part_text(message, "text/plain"), html = part_text(message, "text/html");
  ASSERT_FALSE(text.empty()) << message.dump();
  ASSERT_FALSE(html.empty()) << message.dump();
  for (const auto& part : message["parts"]) EXPECT_EQ(part.value("charset", ""), "utf-8");
  EXPECT_TRUE(contains(text, "mail.example.com")) << text;
  EXPECT_TRUE(contains(text, serial)) << text;
  EXPECT_TRUE(contains(text, id)) << text;
  EXPECT_TRUE(contains(text, "jdoe")) << text;  // metadata.requester in the built-in template
  EXPECT_TRUE(contains(html, serial)) << html;
  EXPECT_TRUE(contains(html, "<table")) << html;
  // The key the host made went to the caller and the store, never into mail.
  ASSERT_TRUE(issued.contains("private_key"));
  for (const std::string& where : {read_file(files[0]), text, html}) EXPECT_FALSE(contains(where, "PRIVATE KEY"));
  EXPECT_FALSE(contains(host->log(), kSmtpPassword));
}

TEST_F(NotifyEmail, WaitsForTheServerAndSendsOnce) {
  int port = 0;
  {
    // A free port, then closed again: the host's first attempts find
    // nothing listening there (connection refused).
    SmtpServer probe(dir_.file("smtp"), server_options());
    ASSERT_TRUE(probe.started()) << probe.log();
    port = probe.port();
  }
  ASSERT_NO_FATAL_FAILURE(configure(port));
  auto host = start_host();
  ASSERT_TRUE(host->started());
  const std::string id = issue(*host, "retry.example.com").value("id", "");
  ASSERT_FALSE(id.empty());

  json pending =
      notifications(*host, id, 10, [](const json& n) { return n.value("attempts", 0) >= 2; });
  ASSERT_FALSE(pending["items"].empty()) << pending.dump();
  EXPECT_EQ(pending["items"][0]["status"], "pending") << pending.dump();
  EXPECT_GE(pending["items"][0].value("attempts", 0), 2);
  EXPECT_TRUE(contains(pending["items"][0].value("reason", ""), "SMTP server")) << pending.dump();

  // The server comes back on the same port (and directory).
  SmtpServer smtp(dir_.file("smtp"), server_options(), port);
  ASSERT_TRUE(smtp.started()) << smtp.log();
  ASSERT_TRUE(smtp.wait_for_messages(1, 20)) << host->log() << smtp.log();
  json delivered = notifications(*host, id, 10, [](const json& n) { return n.value("status", "") == "delivered"; });
  ASSERT_FALSE(delivered["items"].empty());
  EXPECT_EQ(delivered["items"][0]["status"], "delivered") << delivered.dump();

  // Exactly one message: the retries before were refused connections, and
  // the outbox calls no more once the notification is delivered.
  std::this_thread::sleep_for(1500ms);
  const auto files = smtp.messages();
  ASSERT_EQ(files.size(), 1u) << smtp.log();
  json message = parsed_message(files[0]);
  EXPECT_EQ(header(message, "Message-ID"), "<" + delivered["items"][0].value("event_id", "") + "@signet>");
  EXPECT_EQ(message["subject"], "[Signet] Certificate issued: retry.example.com");
}

}  // namespace
}  // namespace signet::test
