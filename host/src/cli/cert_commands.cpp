// signet cert issue | get | renew | revoke | list | search: the common path of the
// certificate API from a shell, without curl.
#include <arpa/inet.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <encoding/url.hpp>
#include <fsutil/files.hpp>

#include "cli/commands.hpp"
#include "client/api_client.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: signet cert issue --cn NAME [--san NAME]... [--profile P] [--ttl 720h] [--key-type ecdsa|rsa|ed25519]\n"
    "                         [--key-bits N] [--curve P-256] [--csr FILE] [--meta KEY=VALUE]... [--service S] [--out DIR]\n"
    "       signet cert get ID [--out DIR]\n"
    "       signet cert renew ID [--csr FILE] [--ttl 720h] [--out DIR]\n"
    "       signet cert revoke ID [--reason key_compromise|superseded|...] [--all-with-same-key]\n"
    "       signet cert list [--status active|revoked|expired|superseded] [--cn NAME] [--san NAME] [--q TEXT] [--service S]\n"
    "                        [--sort created_at|not_after|common_name] [--limit N]\n"
    "       signet cert search WORDS... (\"expiring in 7 days owner:payments\", \"rsa 2048 *.example.com\") [--limit N]\n"
    "  server: --addr URL (SIGNET_ADDR), --token T (SIGNET_TOKEN), --cacert FILE (SIGNET_CACERT),\n"
    "          --client-cert FILE --client-key FILE for mutual TLS";

bool is_ip(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// --san takes any kind of name; its form says which.
json sans_of(const Args& args) {
  json sans = {{"dns", json::array()}, {"ip", json::array()}, {"email", json::array()}, {"uri", json::array()}};
  for (const auto& name : args.all("san")) {
    const char* kind = is_ip(name) ? "ip" : name.find("://") != std::string::npos ? "uri" : name.find('@') != std::string::npos ? "email" : "dns";
    sans[kind].push_back(name);
  }
  return sans;
}

std::optional<std::string> read_csr(const Args& args) {
  if (!args.flag("csr")) return std::string();
  auto text = fsutil::read_file(*args.flag("csr"));
  if (!text) {
    std::cerr << "signet: cannot read " << *args.flag("csr") << ": " << text.error().message << "\n";
    return std::nullopt;
  }
  return text.value();
}

json key_of(const Args& args) {
  json key = json::object();
  if (auto t = args.flag("key-type")) key["type"] = *t;
  if (auto b = args.flag("key-bits")) key["bits"] = std::atoi(b->c_str());
  if (auto c = args.flag("curve")) key["curve"] = *c;
  return key;
}

// Writes server.crt, server.key (0600, when the host holds the key) and
// ca-chain.crt, the files a TLS server is configured with.
int write_bundle(ApiClient& api, const std::string& id, const std::string& dir) {
  auto bundle = api.call("GET", "/v1/certificates/" + id + "/bundle");
  if (!bundle) return 1;
  if (auto made = fsutil::make_private_directory(dir); !made) {
    std::cerr << "signet: " << made.error().message << "\n";
    return 1;
  }
  const auto in_dir = [folder = std::filesystem::path(dir)](const char* name) { return (folder / name).string(); };
  const bool with_key = bundle->at("private_key").is_string();
  std::string chain;
  for (const auto& pem : bundle->value("ca_chain", json::array())) chain += pem.get<std::string>();
  bool ok = fsutil::write_file_atomically(in_dir("server.crt"), bundle->value("certificate", ""), 0644) &&
            fsutil::write_file_atomically(in_dir("ca-chain.crt"), chain, 0644);
  if (ok && with_key)
    ok = static_cast<bool>(fsutil::write_file_atomically(in_dir("server.key"), bundle->at("private_key").get<std::string>(), 0600));
  if (!ok) {
    std::cerr << "signet: cannot write the bundle into " << dir << "\n";
    return 1;
  }
  std::cout << "wrote " << in_dir("server.crt") << ", " << in_dir("ca-chain.crt")
            << (with_key ? ", " + in_dir("server.key") : "") << "\n";
  return 0;
}

// A 201 prints the certificate's summary (and saves it); a 202 says how to follow it.
int report_issued(ApiClient& api, const json& answer, int status, const Args& args) {
  if (status == 202) {
    std::cout << "request " << answer.value("request_id", "") << " is pending; run `signet cert get` once it is done\n";
    return 0;
  }
  std::cout << "id         " << answer.value("id", "") << "\nserial     " << answer.value("serial", "")
            << "\nnot_after  " << answer.value("not_after", "") << "\n";
  if (auto out = args.flag("out")) return write_bundle(api, answer.value("id", ""), *out);
  if (answer.contains("private_key"))
    std::cout << "the private key is kept by the server; download it with `signet cert get "
              << answer.value("id", "") << " --out DIR`\n";
  return 0;
}

int issue(ApiClient& api, const Args& args) {
  if (!args.flag("cn") && args.all("san").empty() && !args.flag("csr")) return usage_error("cert issue needs --cn, --san or --csr");
  auto csr = read_csr(args);
  if (!csr) return 1;
  json body = {{"sans", sans_of(args)}};
  if (auto v = args.flag("cn")) body["common_name"] = *v;
  if (auto v = args.flag("profile")) body["profile"] = *v;
  if (auto v = args.flag("ttl")) body["ttl"] = *v;
  if (auto v = args.flag("service")) body["service"] = *v;
  if (!csr->empty()) body["csr"] = *csr;
  else if (!key_of(args).empty()) body["key"] = key_of(args);
  json metadata = json::object();
  for (const auto& pair : args.all("meta")) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos) return usage_error("--meta takes KEY=VALUE");
    metadata[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  if (!metadata.empty()) body["metadata"] = metadata;
  int status = 0;
  auto answer = api.call("POST", "/v1/certificates", body, &status);
  return answer ? report_issued(api, *answer, status, args) : 1;
}

int renew(ApiClient& api, const Args& args, const std::string& id) {
  auto csr = read_csr(args);
  if (!csr) return 1;
  json body = json::object();
  if (!csr->empty()) body["csr"] = *csr;
  if (auto v = args.flag("ttl")) body["ttl"] = *v;
  int status = 0;
  auto answer = api.call("POST", "/v1/certificates/" + id + "/renew", body, &status);
  return answer ? report_issued(api, *answer, status, args) : 1;
}

int revoke(ApiClient& api, const Args& args, const std::string& id) {
  json body = {{"reason", args.flag("reason").value_or("unspecified")}};
  if (args.has("all-with-same-key")) body["all_with_same_key"] = true;
  auto answer = api.call("POST", "/v1/certificates/" + id + "/revoke", body);
  if (!answer) return 1;
  std::cout << id << " revoked at " << answer->value("revoked_at", "") << " (" << answer->value("revocation_reason", "") << ")\n";
  for (const auto& other : answer->value("revoked_with_same_key", json::array()))
    std::cout << other.get<std::string>() << " revoked too: same key\n";
  return 0;
}

// One line per certificate, and how to get the next page.
int print_page(ApiClient& api, const std::string& query) {
  auto page = api.call("GET", "/v1/certificates" + query);
  if (!page) return 1;
  std::cout << std::left << std::setw(32) << "ID" << std::setw(9) << "STATUS" << std::setw(22) << "NOT AFTER" << std::setw(12)
            << "KEY" << "COMMON NAME\n";
  for (const auto& c : page->value("items", json::array())) {
    const std::string key = c.value("key_type", json()).is_string()
                                ? c.at("key_type").get<std::string>() + (c.value("key_bits", json()).is_number() ? " " + c.at("key_bits").dump() : "")
                                : "-";
    std::cout << std::setw(32) << c.value("id", "") << std::setw(9) << c.value("status", "") << std::setw(22)
              << c.value("not_after", "") << std::setw(12) << key << c.value("common_name", "") << "\n";
  }
  if (page->contains("next_cursor") && page->at("next_cursor").is_string())
    std::cout << "more: --cursor " << page->at("next_cursor").get<std::string>() << "\n";
  return 0;
}

int list(ApiClient& api, const Args& args) {
  std::string query;
  for (const auto& [flag, param] : {std::pair{"status", "status"}, {"cn", "common_name"}, {"san", "san"}, {"q", "q"},
                                    {"profile", "profile"}, {"service", "service"}, {"sort", "sort"}, {"limit", "limit"},
                                    {"cursor", "cursor"}})
    if (auto v = args.flag(flag)) query += (query.empty() ? "?" : "&") + std::string(param) + "=" + encoding::url_encode(*v);
  return print_page(api, query);
}

// The words as the server understood them, then what they find.
int search(ApiClient& api, const Args& args) {
  std::string words;
  for (const auto& w : args.positional()) words += (words.empty() ? "" : " ") + w;
  const std::string q = encoding::url_encode(words);
  auto parsed = api.call("GET", "/v1/search/parse?q=" + q);
  if (!parsed) return 1;
  std::cout << "understood:";
  for (const auto& chip : parsed->value("chips", json::array()))
    std::cout << " " << chip.value("field", "") << "="
              << (chip.at("value").is_string() ? chip.at("value").get<std::string>() : chip.at("value").dump());
  std::cout << "\n";
  std::string query = "?q=" + q;
  for (const char* flag : {"limit", "cursor"})
    if (auto v = args.flag(flag)) query += "&" + std::string(flag) + "=" + encoding::url_encode(*v);
  return print_page(api, query);
}

int get(ApiClient& api, const Args& args, const std::string& id) {
  auto certificate = api.call("GET", "/v1/certificates/" + id);
  if (!certificate) return 1;
  if (auto out = args.flag("out")) return write_bundle(api, id, *out);
  std::cout << certificate->dump(2) << "\n";
  return 0;
}

}  // namespace

int command_cert(int argc, char** argv) {
  const std::string action = argc > 2 ? argv[2] : "";
  Args args(argc, argv, 3, {"all-with-same-key"});
  std::set<std::string> known = ApiClient::connection_flags();
  for (const char* f : {"cn", "san", "profile", "ttl", "key-type", "key-bits", "curve", "csr", "meta", "out", "reason",
                        "all-with-same-key", "status", "q", "limit", "cursor", "service", "sort"})
    known.insert(f);
  if (!args.only(known)) return usage_error(args.error() + "\n" + kUsage);
  const bool takes_id = action == "get" || action == "renew" || action == "revoke";
  const bool known_action = takes_id || action == "issue" || action == "list" || action == "search";
  const bool positional_ok = action == "search" ? !args.positional().empty() : args.positional().size() == (takes_id ? 1u : 0u);
  if (!known_action || !positional_ok) return usage_error(kUsage);
  auto api = ApiClient::from(args);
  if (!api) return 2;
  if (action == "issue") return issue(*api, args);
  if (action == "list") return list(*api, args);
  if (action == "search") return search(*api, args);
  const std::string& id = args.positional().front();
  if (action == "get") return get(*api, args, id);
  if (action == "renew") return renew(*api, args, id);
  return revoke(*api, args, id);
}

}  // namespace signet::host
