// Paths in Vault: the store's own paths (what the host puts and reads
// back, under a prefix) and the delivery path of a certificate bundle,
// rendered from a template such as "certs/{service}/{certificate_id}".
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>

namespace signet::store_vault {

// A store path Vault can hold as it is (secretstore::valid_secret_path:
// segments of A-Z a-z 0-9 . _ -, no "", "." or ".."), so no path can leave
// its prefix or change the endpoint of the URL. Else Error{invalid_argument}.
Result<void> check_store_path(const std::string& path);

// The template's variables, in the documented order of docs/plugins/store-vault.md.
inline constexpr const char* kTemplateVariables[] = {"service", "certificate_id", "tenant_id", "common_name", "profile"};

// "" when `path_template` uses only known {variables} and renders to a valid
// path; else what is wrong with it.
std::string template_problem(const std::string& path_template);

// The delivery path of a bundle, from the host's bundle metadata
// (docs/plugin-authoring.md, "Certificate bundles"): {certificate_id} is
// the first certificate of the renewal chain, so a renewal lands on the
// same path. Values are made path-safe (other characters become '_');
// an empty service is `default_service`, any other empty value "_";
// nullopt without a certificate id.
std::optional<std::string> render_delivery_path(const std::string& path_template, const nlohmann::json& metadata,
                                                const std::string& default_service);

}  // namespace signet::store_vault
