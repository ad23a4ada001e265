// The dashboard's static files at /ui/, from the main HTTPS listener. They
// are read once at start-up (a few hundred KiB) and served with a strict
// Content-Security-Policy: scripts and styles from this origin only, no
// inline code, no framing, connections to this origin only (the API and
// the live-update WebSocket). A path that is no file is a page of the
// single-page app: index.html answers it.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "api/api.hpp"

namespace signet::host {
namespace {

namespace fs = std::filesystem;

const char* const kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string content_type(const fs::path& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},                 {".png", "image/png"},
      {".ico", "image/x-icon"},              {".json", "application/json"},             {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
  const auto found = types.find(path.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

struct UiFile {
  std::string body, type;
};
using UiFiles = std::map<std::string, UiFile>;  // by path under /ui/, "index.html"

std::shared_ptr<const UiFiles> load(const std::string& dir, signet::Logger& log) {
  auto files = std::make_shared<UiFiles>();
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
    log.warn("the dashboard is not installed: no index.html", {{"dir", dir}});
    return files;
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    (*files)[fs::relative(it->path(), dir).generic_string()] = {body.str(), content_type(it->path())};
  }
  log.info("the dashboard is served at /ui/", {{"dir", dir}, {"files", files->size()}});
  return files;
}

HttpResponseMessage serve(const UiFiles& files, const std::string& rest, const std::string& request_id) {
  auto found = files.find(rest.empty() ? "index.html" : rest);
  const bool asset = found != files.end() && rest != "index.html" && !rest.empty();
  if (found == files.end()) {
    // Files have extensions; app pages (/ui/inventory) do not.
    if (rest.find('.') != std::string::npos) return error_response({"not_found", "no file /ui/" + rest.substr(0, 200)}, request_id);
    found = files.find("index.html");
    if (found == files.end()) return error_response({"not_found", "the dashboard is not installed on this host"}, request_id);
  }
  HttpResponseMessage response{http::status::ok, 11};
  response.set(http::field::content_type, found->second.type);
  response.set(http::field::cache_control, asset ? "max-age=300" : "no-cache");
  response.set("Content-Security-Policy", kPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Cross-Origin-Opener-Policy", "same-origin");
  response.body() = found->second.body;
  return response;
}

HttpResponseMessage to_dashboard() {
  HttpResponseMessage response{http::status::found, 11};
  response.set(http::field::location, "/ui/");
  response.set(http::field::cache_control, "no-store");
  return response;
}

}  // namespace

void add_ui_routes(Router& router, ApiDependencies deps) {
  if (!deps.config.ui.enabled) return;
  const std::string dir = deps.config.ui.dir.empty() ? default_ui_dir() : deps.config.ui.dir;
  auto files = load(dir, deps.log);
  const RouteOptions open{.permission = "ui:read", .open = true, .inline_ = true};
  router.add(http::verb::get, "/", [](RequestContext&) { return to_dashboard(); }, open);
  // "/ui" and "/ui/" are one route to the router: the path tells them apart.
  router.add(http::verb::get, "/ui", [files](RequestContext& c) {
    return c.path == "/ui" ? to_dashboard() : serve(*files, "", c.request_id);
  }, open);
  router.add(http::verb::get, "/ui/{*rest}", [files](RequestContext& c) { return serve(*files, c.param("rest"), c.request_id); },
             open);
}

}  // namespace signet::host
