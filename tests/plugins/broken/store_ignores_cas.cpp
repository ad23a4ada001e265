// An in-memory store that ignores check-and-set: every put writes. The host
// relies on cas to know a rerun already wrote a bundle, so the conformance
// kit must fail it in store.check_and_set.
#include <map>
#include <mutex>

#include <signet/sdk.hpp>

namespace {

class IgnoresCasStore final : public signet::SecretStore {
 public:
  signet::Result<std::uint64_t> put(const signet::PutRequest& r) override {
    std::lock_guard lock(mutex_);
    auto& versions = paths_[r.path];
    versions.push_back(r.data);
    return versions.size();
  }
  signet::Result<signet::Secret> get(const signet::GetRequest& r) override {
    std::lock_guard lock(mutex_);
    const auto found = paths_.find(r.path);
    if (found == paths_.end() || found->second.empty()) return signet::make_error(signet::ErrorCode::not_found, "no such path");
    const std::uint64_t version = r.version.value_or(found->second.size());
    if (version < 1 || version > found->second.size()) return signet::make_error(signet::ErrorCode::not_found, "no such version");
    return signet::Secret{r.path, version, found->second[version - 1], nlohmann::json::object(), std::chrono::system_clock::now()};
  }
  signet::Result<std::vector<std::string>> list(const std::string& prefix) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [path, versions] : paths_)
      if (path.starts_with(prefix)) out.push_back(path);
    return out;
  }
  signet::Result<void> remove(const signet::DeleteRequest&) override { return {}; }
  signet::Result<void> destroy(const signet::DeleteRequest&) override { return {}; }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> paths_;
};

signet::Result<std::unique_ptr<signet::SecretStore>> make_store(const signet::PluginContext&) {
  return std::unique_ptr<signet::SecretStore>(std::make_unique<IgnoresCasStore>());
}

}  // namespace

SIGNET_PLUGIN(signet::SecretStore, "store-ignores-cas", "1.0.0", R"({"type":"object"})", 0, make_store)
