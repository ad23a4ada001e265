// Where store-local's master key comes from: a file (mode 0600), an
// environment variable, or a key inside a `keys` instance.
#pragma once

#include <memory>
#include <string>

#include <envelope/envelope.hpp>
#include <signet/plugin.hpp>

namespace signet::store_local {

// `spec` is one entry of master_key / previous_master_keys; `pointer` its
// JSON pointer, used in the problems of an invalid_config error.
Result<std::unique_ptr<envelope::KeyEncryptionKey>> load_master_key(const nlohmann::json& spec,
                                                                     const std::string& pointer,
                                                                     const PluginContext& context);

}  // namespace signet::store_local
