#include "api/held_keys.hpp"

namespace signet::host {

Result<std::string> held_private_key(const PluginInstances& instances, const std::string& store, const std::string& path) {
  auto instance = instances.store(store);
  if (!instance)
    return make_error(ErrorCode::unavailable, "the key is kept in store " + store + ", which is not configured now");
  auto secret = instance->get({path, std::nullopt});
  if (!secret) return std::move(secret).error();
  const auto bundle = nlohmann::json::parse(secret->data, nullptr, false);
  if (!bundle.is_object() || !bundle.contains("private_key") || !bundle.at("private_key").is_string())
    return make_error(ErrorCode::internal, "the bundle in store " + store + " holds no private key");
  return bundle.at("private_key").get<std::string>();
}

}  // namespace signet::host
