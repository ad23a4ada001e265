#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <unistd.h>

#include <map>

#include "config/config.hpp"
#include "config/lifecycle_sections.hpp"
#include "config/ui_section.hpp"
#include "config/yaml_section.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

const std::set<std::string> kBuiltinValidators = {"profile-policy"};
const std::set<std::string> kOperations = {"issue", "renew", "revoke"};
const std::set<std::string> kKeyTypes = {"rsa", "ecdsa", "ed25519"};
const std::set<std::string> kCurves = {"P-256", "P-384"};
const std::set<std::string> kKeyUsages = {"digital_signature", "content_commitment", "key_encipherment",
                                          "data_encipherment", "key_agreement"};
const std::set<std::string> kExtKeyUsages = {"server_auth", "client_auth", "code_signing",
                                             "email_protection", "time_stamping", "ocsp_signing"};

void read_client_auth(YamlSection s, ClientAuthConfig& out) {
  out.line = s.line();
  if (auto v = s.string("mode")) {
    if (*v == "off") out.mode = ClientAuthConfig::Mode::off;
    else if (*v == "optional") out.mode = ClientAuthConfig::Mode::optional;
    else if (*v == "required") out.mode = ClientAuthConfig::Mode::required;
    else s.error(line_of(s.node("mode")), "server.tls.client_auth.mode must be off, optional or required");
  }
  out.trust_ca = s.string("trust_ca").value_or("");
  out.trust_file = s.string("trust_file").value_or("");
  if (auto v = s.string("identity")) {
    if (*v == "uri") out.identity = ClientAuthConfig::Identity::uri;
    else if (*v == "cn") out.identity = ClientAuthConfig::Identity::cn;
    else s.error(line_of(s.node("identity")), "server.tls.client_auth.identity must be uri or cn");
  }
  if (auto v = s.string("tenant")) out.tenant = *v;
  if (s.has("roles")) out.roles = s.strings("roles");
  s.finish();
  if (out.mode != ClientAuthConfig::Mode::off && out.trust_ca.empty() == out.trust_file.empty())
    s.error(out.line, "server.tls.client_auth needs one of trust_ca (a CA instance) or trust_file");
}

void read_tls(YamlSection tls, TlsConfig& out) {
  const auto automatic = tls.boolean("auto");
  const auto enabled = tls.boolean("enabled");
  const auto cert = tls.string("cert");
  const auto key = tls.string("key");
  read_client_auth(tls.section("client_auth"), out.client_auth);
  tls.finish();
  if (enabled == false && out.client_auth.mode != ClientAuthConfig::Mode::off)
    tls.error(tls.line(), "server.tls.client_auth needs TLS (enabled: false turns it off)");
  if (enabled == false) {
    out.mode = TlsConfig::Mode::disabled;
  } else if (cert || key) {
    if (!cert || !key) tls.error(tls.line(), "server.tls needs both cert and key");
    if (automatic == true) tls.error(tls.line(), "server.tls: auto and cert/key exclude each other");
    out.mode = TlsConfig::Mode::files;
    out.cert_file = cert.value_or("");
    out.key_file = key.value_or("");
  } else if (automatic == false) {
    tls.error(tls.line(), "server.tls: with auto: false give cert and key, or enabled: false for plain HTTP");
  } else {
    out.mode = TlsConfig::Mode::automatic;
  }
}

void read_limits(YamlSection limits, LimitsConfig& out) {
  if (auto v = limits.size("max_body")) out.max_body_bytes = *v;
  if (auto v = limits.size("max_header")) out.max_header_bytes = *v;
  if (auto v = limits.duration("read_timeout")) out.read_timeout = *v;
  if (auto v = limits.duration("idle_timeout")) out.idle_timeout = *v;
  if (auto v = limits.integer("max_connections", 1, 1'000'000)) out.max_connections = static_cast<std::uint64_t>(*v);
  limits.finish();
}

void read_rate_limit(YamlSection s, RateLimitConfig& out) {
  if (auto v = s.integer("rate", 0, 1'000'000)) out.rate = static_cast<int>(*v);
  if (auto v = s.integer("burst", 1, 1'000'000)) out.burst = static_cast<int>(*v);
  if (out.burst < out.rate) out.burst = out.rate;  // a burst below one second's rate would cut the rate
  s.finish();
}

void read_rate_limits(YamlSection s, ServerConfig& out) {
  read_rate_limit(s.section("per_source"), out.per_source);
  read_rate_limit(s.section("per_principal"), out.per_principal);
  s.finish();
}

void read_server(YamlSection server, ServerConfig& out) {
  if (auto v = server.string("listen")) out.listen = *v;
  if (auto v = server.integer("io_threads", 1, 64)) out.io_threads = static_cast<int>(*v);
  if (auto v = server.string("public_url")) {
    if (v->rfind("https://", 0) != 0 && v->rfind("http://", 0) != 0)
      server.error(line_of(server.node("public_url")), "server.public_url must start with https:// or http://");
    out.public_url = v->substr(0, v->find_last_not_of('/') + 1);
  }
  read_tls(server.section("tls"), out.tls);
  read_rate_limits(server.section("rate_limits"), out);
  read_limits(server.section("limits"), out.limits);
  server.finish();
}

void read_runner(YamlSection runner, RunnerConfig& out) {
  if (auto v = runner.integer("workers", 1, 256)) out.workers = static_cast<int>(*v);
  if (auto v = runner.duration("poll_interval")) out.poll_interval = *v;
  if (auto v = runner.duration("lease")) out.lease = *v;
  if (auto v = runner.integer("max_attempts", 1, 1000)) out.max_attempts = static_cast<int>(*v);
  if (auto v = runner.duration("sync_wait")) out.sync_wait = *v;
  if (auto v = runner.integer("keygen_concurrency", 1, 64)) out.keygen_concurrency = static_cast<int>(*v);
  if (auto v = runner.integer("keygen_queue", 0, 1024)) out.keygen_queue = static_cast<int>(*v);
  YamlSection backoff = runner.section("backoff");
  if (auto v = backoff.duration("initial")) out.initial_backoff = *v;
  if (auto v = backoff.duration("max")) out.max_backoff = *v;
  backoff.finish();
  runner.finish();
}

void read_ocsp(YamlSection o, RevocationConfig& out) {
  if (auto v = o.string("keys")) out.ocsp_keys = *v;
  if (auto v = o.string("signer_key")) {
    static const std::set<std::string> kKinds = {"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
    if (kKinds.count(*v)) out.ocsp_signer_key = *v;
    else o.error(o.line(), "revocation.ocsp.signer_key must be one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096");
  }
  if (auto v = o.duration("validity")) out.ocsp_validity = *v;
  if (auto v = o.duration("refresh_before")) out.ocsp_refresh_before = *v;
  if (auto v = o.duration("max_age")) out.ocsp_max_age = *v;
  if (auto v = o.duration("signer_validity")) out.ocsp_signer_validity = *v;
  if (auto v = o.duration("signer_renew_before")) out.ocsp_signer_renew_before = *v;
  if (auto v = o.integer("cache_entries", 0, 10'000'000)) out.ocsp_cache_entries = static_cast<std::size_t>(*v);
  if (auto v = o.boolean("presign")) out.ocsp_presign = *v;
  if (out.ocsp_refresh_before >= out.ocsp_validity)
    o.error(o.line(), "revocation.ocsp.refresh_before must be shorter than revocation.ocsp.validity");
  if (out.ocsp_signer_renew_before >= out.ocsp_signer_validity)
    o.error(o.line(), "revocation.ocsp.signer_renew_before must be shorter than revocation.ocsp.signer_validity");
  if (out.ocsp_validity >= out.ocsp_signer_renew_before)
    o.error(o.line(), "revocation.ocsp.validity must be shorter than revocation.ocsp.signer_renew_before, "
                      "or answers would outlive their signer");
  o.finish();
}

void read_revocation(YamlSection r, RevocationConfig& out) {
  out.line = r.line();
  if (auto v = r.string("listen")) out.listen = *v;
  if (auto v = r.string("base_url")) out.base_url = *v;
  if (auto v = r.duration("poll_interval")) out.poll_interval = *v;
  if (auto v = r.integer("io_threads", 0, 64)) out.io_threads = static_cast<int>(*v);
  YamlSection crl = r.section("crl");
  if (auto v = crl.duration("validity")) out.crl_validity = *v;
  if (auto v = crl.duration("refresh_before")) out.crl_refresh_before = *v;
  if (auto v = crl.duration("debounce")) out.crl_debounce = *v;
  if (auto v = crl.duration("expired_grace")) out.crl_expired_grace = *v;
  if (auto v = crl.integer("shards", 1, 4096)) out.crl_shards = static_cast<int>(*v);
  if (auto v = crl.boolean("delta")) out.delta_crls = *v;
  if (auto v = crl.duration("delta_validity")) out.delta_validity = *v;
  if (out.crl_refresh_before >= out.crl_validity)
    crl.error(crl.line(), "revocation.crl.refresh_before must be shorter than revocation.crl.validity");
  if (out.delta_crls && out.delta_validity > out.crl_validity)
    crl.error(crl.line(), "revocation.crl.delta_validity must not be longer than revocation.crl.validity");
  crl.finish();
  read_ocsp(r.section("ocsp"), out);
  while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
  if (!out.base_url.empty() && out.base_url.rfind("http://", 0) != 0 && out.base_url.rfind("https://", 0) != 0)
    r.error(r.line(), "revocation.base_url must be an http:// (or https://) URL");
  r.finish();
}

void read_instance(YamlSection entry, const std::string& name, PluginKind kind, Config& out) {
  InstanceConfig instance;
  instance.name = name;
  instance.kind = kind;
  instance.line = entry.line();
  instance.plugin = entry.string("plugin", true).value_or("");
  instance.library = entry.string("library").value_or("");
  instance.required_capabilities = entry.strings("requires");
  instance.config = entry.node("config");
  entry.finish();
  out.instances.push_back(std::move(instance));
}

void read_instances_of(YamlSection& plugins, PluginKind kind, Config& out, std::set<std::string>& names) {
  const YAML::Node group = plugins.node(to_string(kind));
  if (!group.IsDefined() || group.IsNull()) return;
  if (!is_map(group)) {
    plugins.error(line_of(group), plugins.qualified(to_string(kind)) + " must map instance names to instances");
    return;
  }
  for (const auto& entry : group) {
    const std::string name = entry.first.Scalar();
    if (!names.insert(name).second) {
      plugins.error(line_of(entry.first), "duplicate instance name \"" + name + "\"");
      continue;
    }
    read_instance(YamlSection(entry.second, plugins.qualified(to_string(kind)) + "." + name, plugins.issues()),
                  name, kind, out);
  }
}

void read_plugins(YamlSection plugins, Config& out) {
  out.plugin_dirs = plugins.strings("directories");
  std::set<std::string> names;
  for (PluginKind kind : {PluginKind::keys, PluginKind::ca, PluginKind::store, PluginKind::notifier})
    read_instances_of(plugins, kind, out, names);
  plugins.finish();
}

void check_allowed(YamlSection& s, const std::string& key, const std::vector<std::string>& values,
                   const std::set<std::string>& allowed) {
  for (const auto& v : values)
    if (!allowed.count(v)) s.error(line_of(s.node(key)), s.qualified(key) + ": unknown value \"" + v + "\"");
}

void read_key_types(YamlSection& profile, ProfileConfig& out) {
  const YAML::Node list = profile.node("key_types");
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) return profile.error(line_of(list), profile.qualified("key_types") + " must be a list");
  for (const auto& item : list) {
    YamlSection rule(item, profile.qualified("key_types"), profile.issues());
    KeyTypeRule r;
    r.type = rule.string("type", true).value_or("");
    if (!r.type.empty() && !kKeyTypes.count(r.type))
      rule.error(rule.line(), "unknown key type \"" + r.type + "\" (expected rsa, ecdsa or ed25519)");
    if (auto v = rule.integer("min_bits", 2048, 8192)) r.min_bits = static_cast<int>(*v);
    if (auto v = rule.integer("max_bits", 2048, 8192)) r.max_bits = static_cast<int>(*v);
    r.curves = rule.strings("curves");
    check_allowed(rule, "curves", r.curves, kCurves);
    if (r.type == "ecdsa" && r.curves.empty()) r.curves = {"P-256", "P-384"};
    rule.finish();
    out.key_types.push_back(std::move(r));
  }
}

void read_approval(YamlSection approval, const std::string& profile, ApprovalConfig& out) {
  if (auto v = approval.boolean("required")) out.required = *v;
  out.approvers = approval.strings("approvers");
  if (auto v = approval.integer("min_approvals", 1, 20)) out.min_approvals = static_cast<int>(*v);
  if (auto v = approval.boolean("self_approval")) out.self_approval = *v;
  if (auto v = approval.string("from")) out.from = *v;
  if (auto v = approval.duration("expires_after")) out.expires_after = *v;
  if (out.required && !out.from.empty())
    approval.error(approval.line(), "profiles." + profile + ".approval: set required (approvals in Signet) or from "
                                    "(the outside system's approval), not both");
  approval.finish();
}

void read_profile(YamlSection profile, const std::string& name, Config& out) {
  ProfileConfig p;
  p.name = name;
  p.line = profile.line();
  read_key_types(profile, p);
  if (auto v = profile.duration("min_ttl")) p.min_ttl = *v;
  if (auto v = profile.duration("max_ttl")) p.max_ttl = *v;
  if (auto v = profile.duration("default_ttl")) p.default_ttl = *v;
  if (auto v = profile.boolean("require_common_name")) p.require_common_name = *v;
  YamlSection dns = profile.section("dns");
  p.dns_suffixes = dns.strings("allowed_suffixes");
  p.dns_patterns = dns.strings("allowed_patterns");
  for (const auto& pattern : p.dns_patterns) {
    try {
      std::regex compiled(pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      dns.error(line_of(dns.node("allowed_patterns")), "profiles." + name + ".dns.allowed_patterns: \"" + pattern +
                                                          "\" is not a valid regular expression (" + e.what() + ")");
    }
  }
  if (auto v = dns.boolean("wildcard")) p.allow_wildcard = *v;
  dns.finish();
  if (auto v = profile.boolean("allow_ip")) p.allow_ip = *v;
  if (auto v = profile.boolean("allow_email")) p.allow_email = *v;
  if (auto v = profile.boolean("allow_uri")) p.allow_uri = *v;
  p.key_usage = profile.strings("key_usage");
  check_allowed(profile, "key_usage", p.key_usage, kKeyUsages);
  p.extended_key_usage = profile.strings("extended_key_usage");
  check_allowed(profile, "extended_key_usage", p.extended_key_usage, kExtKeyUsages);
  YamlSection renew = profile.section("auto_renew");
  if (auto v = renew.boolean("enabled")) p.auto_renew = *v;
  if (auto v = renew.integer("threshold_days", 1, 3650)) p.renew_before_days = static_cast<int>(*v);
  renew.finish();
  read_approval(profile.section("approval"), name, p.approval);
  profile.finish();
  if (p.min_ttl > p.max_ttl) profile.error(p.line, "profile " + name + ": min_ttl exceeds max_ttl");
  if (p.default_ttl > p.max_ttl) p.default_ttl = p.max_ttl;
  out.profiles.push_back(std::move(p));
}

void read_profiles(YamlSection profiles, const YAML::Node& node, Config& out) {
  if (!is_map(node)) return;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    profiles.node(name);
    read_profile(YamlSection(entry.second, "profiles." + name, profiles.issues()), name, out);
  }
}

void read_pipelines(YamlSection pipelines, const YAML::Node& node, std::map<std::string, PipelineConfig>& out) {
  if (!is_map(node)) return;
  for (const auto& entry : node) {
    const std::string op = entry.first.Scalar();
    if (!kOperations.count(op)) {
      pipelines.error(line_of(entry.first), "unknown pipeline \"" + op + "\" (expected issue, renew or revoke)");
      continue;
    }
    pipelines.node(op);
    YamlSection s(entry.second, pipelines.qualified(op), pipelines.issues());
    PipelineConfig p;
    p.line = s.line();
    p.validate = s.strings("validate");
    p.sign = s.string("sign", op != "revoke").value_or("");  // revocation goes to the issuing CA
    if (op != "revoke") p.store = s.string("store").value_or("");
    p.notify = s.strings("notify");
    s.finish();
    out[op] = std::move(p);
  }
}

// Each step of a pipeline must name an instance of the slot's kind.
void check_slot(ConfigIssues& issues, const Config& config, int line, const std::string& where,
                const std::string& name, PluginKind kind) {
  const InstanceConfig* instance = config.instance(name);
  if (!instance) {
    issues.add(line, where + " names unknown instance \"" + name + "\"");
  } else if (instance->kind != kind) {
    issues.add(line, where + " needs a " + to_string(kind) + " instance, but \"" + name + "\" is a " +
                         to_string(instance->kind));
  }
}

void check_pipelines(ConfigIssues& issues, const Config& config, const std::map<std::string, PipelineConfig>& pipelines,
                     const std::string& prefix) {
  for (const auto& [op, p] : pipelines) {
    const std::string where = prefix + "pipelines." + op;
    for (const auto& v : p.validate)
      if (!kBuiltinValidators.count(v)) issues.add(p.line, where + ".validate names unknown check \"" + v + "\"");
    if (!p.sign.empty()) check_slot(issues, config, p.line, where + ".sign", p.sign, PluginKind::ca);
    if (!p.store.empty()) check_slot(issues, config, p.line, where + ".store", p.store, PluginKind::store);
    for (const auto& n : p.notify) check_slot(issues, config, p.line, where + ".notify", n, PluginKind::notifier);
  }
}

void read_tenants(YamlSection tenants, const YAML::Node& node, Config& out) {
  if (!is_map(node)) return;
  for (const auto& entry : node) {
    TenantConfig t;
    t.slug = entry.first.Scalar();
    t.line = line_of(entry.first);
    tenants.node(t.slug);
    YamlSection s(entry.second, "tenants." + t.slug, tenants.issues());
    t.profiles = s.strings("profiles");
    read_pipelines(s.section("pipelines"), s.node("pipelines"), t.pipelines);
    s.finish();
    out.tenants.push_back(std::move(t));
  }
}

void check_tenants(ConfigIssues& issues, const Config& config) {
  for (const auto& t : config.tenants) {
    if (!valid_slug(t.slug))
      issues.add(t.line, "tenants: \"" + t.slug + "\" is no tenant slug (1-63 lower-case letters, digits or inner dashes)");
    for (const auto& name : t.profiles)
      if (!config.profile(name)) issues.add(t.line, "tenants." + t.slug + ".profiles names unknown profile \"" + name + "\"");
    check_pipelines(issues, config, t.pipelines, "tenants." + t.slug + ".");
  }
}

// rbac.roles.<name>: {description, permissions: [resource:action, ...]}
void read_rbac(YamlSection rbac, Config& out) {
  YamlSection roles = rbac.section("roles");
  const YAML::Node node = rbac.node("roles");
  Roles known = Roles::builtin();
  if (is_map(node)) {
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      roles.node(name);
      YamlSection s(entry.second, "rbac.roles." + name, roles.issues());
      RoleDefinition role{name, s.string("description").value_or(""), s.strings("permissions")};
      s.finish();
      if (auto added = known.add(role); !added) roles.error(line_of(entry.first), added.error().message);
      else out.roles.push_back(std::move(role));
    }
  }
  roles.finish();
  rbac.finish();
}

// profiles.<name>.approval.approvers: roles that exist (built in or rbac.roles).
void check_approvers(ConfigIssues& issues, const Config& config) {
  Roles roles = Roles::builtin();
  for (const auto& role : config.roles) (void)roles.add(role);
  for (const auto& p : *config.profiles.snapshot())
    for (const auto& role : p.approval.approvers)
      if (!roles.exists(role)) issues.add(p.line, "profiles." + p.name + ".approval.approvers names unknown role "" + role + """);
}

void check_client_auth(ConfigIssues& issues, const Config& config) {
  const ClientAuthConfig& c = config.server.tls.client_auth;
  if (c.mode == ClientAuthConfig::Mode::off) return;
  if (!c.trust_ca.empty()) check_slot(issues, config, c.line, "server.tls.client_auth.trust_ca", c.trust_ca, PluginKind::ca);
  Roles roles = Roles::builtin();
  for (const auto& role : config.roles) (void)roles.add(role);
  for (const auto& role : c.roles)
    if (!roles.exists(role)) issues.add(c.line, "server.tls.client_auth.roles names unknown role \"" + role + "\"");
}

void read_root(const YAML::Node& root, Config& out, ConfigIssues& issues) {
  YamlSection top(root, "", issues);
  read_server(top.section("server"), out.server);
  if (auto v = top.string("data_dir")) out.data_dir = *v;
  if (auto v = top.string("database")) {
    out.database_url = *v;
    const bool known = v->rfind("sqlite://", 0) == 0 || v->rfind("postgresql://", 0) == 0 || v->rfind("postgres://", 0) == 0;
    if (!known) top.error(line_of(top.node("database")), "database must be a sqlite:// or postgresql:// URL");
  }
  if (auto v = top.string("log_level")) {
    if (*v == "debug" || *v == "info" || *v == "warn" || *v == "error") out.log_level = *v;
    else top.error(line_of(top.node("log_level")), "log_level must be debug, info, warn or error");
  }
  read_runner(top.section("runner"), out.runner);
  read_revocation(top.section("revocation"), out.revocation);
  read_lifecycle_sections(top, out);
  read_plugins(top.section("plugins"), out);
  read_profiles(top.section("profiles"), top.node("profiles"), out);
  read_pipelines(top.section("pipelines"), top.node("pipelines"), out.pipelines);
  read_tenants(top.section("tenants"), top.node("tenants"), out);
  read_rbac(top.section("rbac"), out);
  read_ui(top.section("ui"), out.ui);
  YamlSection audit = top.section("audit");
  if (auto v = audit.string("export_file")) out.audit_export_file = *v;
  if (auto v = audit.duration("export_interval")) out.audit_export_interval = *v;
  audit.finish();
  top.finish();
  if (out.database_url.empty()) out.database_url = "sqlite://" + out.data_dir + "/signet.db";
  if (out.plugin_dirs.empty()) out.plugin_dirs.push_back(default_plugin_dir());
  check_pipelines(issues, out, out.pipelines, "");
  check_tenants(issues, out);
  check_client_auth(issues, out);
  check_approvers(issues, out);
  check_lifecycle_sections(issues, out);
  Roles roles = Roles::builtin();
  for (const auto& role : out.roles) (void)roles.add(role);
  check_ui(issues, out.ui, roles);
}

}  // namespace

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::ca: return "ca";
    case PluginKind::store: return "store";
    case PluginKind::notifier: return "notifier";
    case PluginKind::keys: return "keys";
  }
  return "unknown";
}

const InstanceConfig* Config::instance(const std::string& name) const {
  for (const auto& i : instances)
    if (i.name == name) return &i;
  return nullptr;
}

namespace {

// yaml-cpp keeps both entries of a repeated key and a lookup finds the
// first, so a second `runner:` would be ignored without a word. Plugin
// configs are checked against their schema, which reports repeats itself.
void report_duplicate_keys(const YAML::Node& node, const std::string& path, ConfigIssues& issues) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) report_duplicate_keys(node[i], path + "[" + std::to_string(i) + "]", issues);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    const std::string key = entry.first.Scalar();
    const std::string where = path.empty() ? key : path + "." + key;
    const auto [seen, fresh] = first_line.emplace(key, line_of(entry.first));
    if (!fresh) {
      issues.add(line_of(entry.first), "duplicate key \"" + where + "\" (first on line " + std::to_string(seen->second) + ")");
      continue;
    }
    const bool plugin_config = key == "config" && path.rfind("plugins.", 0) == 0;
    if (!plugin_config) report_duplicate_keys(entry.second, where, issues);
  }
}

}  // namespace

LoadedConfig load_config_text(const std::string& text, const std::string& name) {
  LoadedConfig loaded;
  loaded.config.file = name;
  ConfigIssues issues(name);
  try {
    const YAML::Node root = YAML::Load(text);
    report_duplicate_keys(root, "", issues);
    read_root(root, loaded.config, issues);
  } catch (const YAML::Exception& e) {
    issues.add(e.mark.line >= 0 ? e.mark.line + 1 : 0, "invalid YAML: " + e.msg);
  }
  loaded.issues = issues.all();
  return loaded;
}

LoadedConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadedConfig loaded;
    loaded.config.file = path;
    loaded.issues.push_back({path, 0, "cannot read the configuration file"});
    return loaded;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path);
}

std::string default_plugin_dir() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "lib/signet/plugins";
  std::string exe(buffer, static_cast<std::size_t>(n));
  const auto bin_dir = exe.substr(0, exe.rfind('/'));
  return bin_dir + "/../lib/signet/plugins";
}

}  // namespace signet::host
