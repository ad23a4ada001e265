// The versioned, envelope-encrypted secret store on SQL through SOCI, shared
// by store-local (SQLite) and a PostgreSQL store: same tables, same rules.
//
// Every version is sealed with its own data key (envelope/envelope.hpp);
// the associated data is "<path>\n<version>", so a row copied to another
// path or version does not decrypt. Metadata is stored in clear: callers
// put nothing secret there.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <soci/soci.h>
#include <signet/plugin.hpp>
#include <signet/store.hpp>

#include "secretstore/secret_path.hpp"

#include "envelope/envelope.hpp"

namespace signet::secretstore {

enum class Dialect { sqlite, postgresql };

class SqlSecretStore final : public SecretStore {
 public:
  // Creates the tables if needed. The pool's sessions are open already.
  static Result<std::unique_ptr<SqlSecretStore>> open(std::unique_ptr<soci::connection_pool> pool, Dialect dialect,
                                                      std::shared_ptr<const envelope::KeyRing> ring);

  Result<std::uint64_t> put(const PutRequest& request) override;
  Result<Secret> get(const GetRequest& request) override;
  Result<std::vector<std::string>> list(const std::string& prefix) override;
  Result<void> remove(const DeleteRequest& request) override;
  Result<void> destroy(const DeleteRequest& request) override;
  Result<void> health() override;

  // Re-wraps every data key not wrapped by the ring's current master key;
  // payloads stay untouched. Returns how many were re-wrapped. Fails with
  // invalid_config when a data key's master key is not in the ring.
  Result<std::size_t> rewrap_all();

 private:
  SqlSecretStore(std::unique_ptr<soci::connection_pool> pool, Dialect dialect,
                 std::shared_ptr<const envelope::KeyRing> ring);
  Result<void> transaction(const std::function<void(soci::session&)>& fn);
  Result<void> mark(const DeleteRequest& request, bool erase);

  std::unique_ptr<soci::connection_pool> pool_;
  Dialect dialect_;
  std::shared_ptr<const envelope::KeyRing> ring_;
};

// What store-local and store-postgres do at start: the key ring of the
// instance's config (master_key, previous_master_keys), the tables, and
// whatever an older master key still wraps moved to the current one.
Result<std::unique_ptr<SecretStore>> open_store_instance(std::unique_ptr<soci::connection_pool> pool, Dialect dialect,
                                                        const PluginContext& context);

}  // namespace signet::secretstore
