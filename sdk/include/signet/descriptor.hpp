// The one thing a plugin library exports: a descriptor, returned by the
// function behind the Boost.DLL alias `signet_plugin_entry`.
//
// The fields up to and including `capabilities` are frozen for every SDK
// version, so any host can read them and explain why it refuses a library.
// Fields after them are only read once the version and build-key checks pass.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <signet/plugin.hpp>

#define SIGNET_PLUGIN_ENTRY_NAME "signet_plugin_entry"

extern "C" {

enum signet_plugin_kind : std::uint32_t {
  SIGNET_KIND_CA = 1,
  SIGNET_KIND_STORE = 2,
  SIGNET_KIND_NOTIFIER = 3,
  SIGNET_KIND_KEYS = 4,
};

// Capability bits, per kind. Bits are never reused.
enum : std::uint64_t {
  SIGNET_CAP_CA_REVOKE = 1u << 0,
  SIGNET_CAP_CA_CRL = 1u << 1,   // sign_crl(): the host publishes the CA's CRLs
  SIGNET_CAP_CA_OCSP = 1u << 2,  // certify_ocsp_signer(): the host answers OCSP for the CA
  SIGNET_CAP_CA_PENDING = 1u << 3,  // may answer sign/revoke with a ticket
  SIGNET_CAP_CA_MANAGE = 1u << 4,   // initialize() and import_ca()
  // sign() works inside this process and records every certificate in the
  // host's issuance ledger before signing it: the host may call it before
  // the request itself is saved, and save both in one commit afterwards.
  SIGNET_CAP_CA_LOCAL = 1u << 5,
  // published_status(): the CA serves its own CRL and OCSP (a remote CA).
  SIGNET_CAP_CA_PUBLISHES_STATUS = 1u << 6,
  SIGNET_CAP_KEYS_WRAP = 1u << 0,
  SIGNET_CAP_KEYS_RSA = 1u << 1,
  SIGNET_CAP_KEYS_EC = 1u << 2,
  SIGNET_CAP_KEYS_ED25519 = 1u << 3,
  SIGNET_CAP_KEYS_IMPORT = 1u << 4,
};

struct signet_plugin_descriptor;
}

namespace signet {
// Creates one instance. Implemented by the SIGNET_PLUGIN macro, which
// guards it and every method of the instance against exceptions.
using CreateFn = Result<std::shared_ptr<Plugin>> (*)(const PluginContext& context) noexcept;
}  // namespace signet

extern "C" struct signet_plugin_descriptor {
  // ---- frozen: identical in every SDK version ----
  std::uint32_t struct_size;    // sizeof(signet_plugin_descriptor) of the plugin's SDK
  std::uint16_t sdk_major;
  std::uint16_t sdk_minor;
  std::uint32_t kind;           // signet_plugin_kind
  std::uint32_t reserved;       // zero
  const char* name;             // "notify-jsonl": unique, [a-z0-9-]
  const char* plugin_version;   // the plugin's own version, "1.2.0"
  const char* build_key;        // SIGNET_BUILD_KEY of the plugin's build
  const char* config_schema;    // JSON Schema (subset) of the instance config
  std::uint64_t capabilities;   // SIGNET_CAP_* bits of `kind`
  // ---- SDK 1.0 ----
  signet::CreateFn create;
};

namespace signet {

inline std::string_view kind_name(std::uint32_t kind) noexcept {
  switch (kind) {
    case SIGNET_KIND_CA: return "ca";
    case SIGNET_KIND_STORE: return "store";
    case SIGNET_KIND_NOTIFIER: return "notifier";
    case SIGNET_KIND_KEYS: return "keys";
  }
  return "unknown";
}

struct CapabilityName {
  std::uint32_t kind;
  std::uint64_t bit;
  std::string_view name;
};

// The names configuration uses for capability bits (`requires: [crl]`).
inline constexpr CapabilityName capability_names[] = {
    {SIGNET_KIND_CA, SIGNET_CAP_CA_REVOKE, "revoke"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_CRL, "crl"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_OCSP, "ocsp"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_PENDING, "pending"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_MANAGE, "manage"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_LOCAL, "local"},
    {SIGNET_KIND_CA, SIGNET_CAP_CA_PUBLISHES_STATUS, "publishes_status"},
    {SIGNET_KIND_KEYS, SIGNET_CAP_KEYS_WRAP, "wrap"},
    {SIGNET_KIND_KEYS, SIGNET_CAP_KEYS_RSA, "rsa"},
    {SIGNET_KIND_KEYS, SIGNET_CAP_KEYS_EC, "ec"},
    {SIGNET_KIND_KEYS, SIGNET_CAP_KEYS_ED25519, "ed25519"},
    {SIGNET_KIND_KEYS, SIGNET_CAP_KEYS_IMPORT, "import"},
};

}  // namespace signet
