// store-vault's SecretStore: what the host puts lives in KV v2 under
// `prefix` with the host's versions, check-and-set and metadata, read back
// exactly as put; a certificate bundle is also delivered at its delivery
// path for applications (delivery.hpp).
#pragma once

#include <memory>
#include <string>

#include <signet/sdk.hpp>
#include <vault/client.hpp>

#include "delivery.hpp"
#include "kv.hpp"

namespace signet::store_vault {

struct StoreConfig {
  std::string mount = "secret";
  std::string prefix = "signet";  // the host's paths live under <mount>/data/<prefix>/
  ListMethod list_method = ListMethod::verb;
  DeliveryConfig delivery;
};

class VaultStore final : public SecretStore {
 public:
  VaultStore(std::unique_ptr<vault::Client> client, StoreConfig config, HostServices& services);

  Result<void> health() override;
  Result<std::uint64_t> put(const PutRequest& request) override;
  Result<Secret> get(const GetRequest& request) override;
  Result<std::vector<std::string>> list(const std::string& prefix) override;
  Result<void> remove(const DeleteRequest& request) override;
  Result<void> destroy(const DeleteRequest& request) override;

 private:
  std::string kv_path(const std::string& path) const { return config_.prefix + "/" + path; }
  Result<std::uint64_t> write(const std::string& path, const nlohmann::json& entry, std::optional<std::uint64_t> cas);
  Result<void> list_folder(const std::string& folder, const std::string& prefix, std::vector<std::string>& out, int depth);

  std::unique_ptr<vault::Client> client_;
  StoreConfig config_;
  Kv kv_;
  Delivery delivery_;
};

}  // namespace signet::store_vault
