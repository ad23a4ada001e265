# The Vault policy of the AppRole Signet logs in with (docs/plugins/store-vault.md,
# docs/plugins/keys-vault-transit.md), for KV v2 at secret/ and Transit at transit/.

# store-vault: Signet's own copies (under signet/) and the deliveries (under certs/).
path "secret/data/signet/*" { capabilities = ["create", "read", "update", "delete"] }
path "secret/data/certs/*" { capabilities = ["create", "read", "update"] }
# Optional: custom metadata on each delivery, listing, and version delete/destroy.
path "secret/metadata/signet/*" { capabilities = ["list"] }
path "secret/metadata/certs/*" { capabilities = ["create", "update"] }
path "secret/delete/signet/*" { capabilities = ["update"] }
path "secret/destroy/signet/*" { capabilities = ["update"] }

# keys-vault-transit: make keys, read their public halves, sign, wrap and unwrap.
path "transit/keys/*" { capabilities = ["create", "read", "update"] }
path "transit/sign/*" { capabilities = ["update"] }
path "transit/encrypt/*" { capabilities = ["update"] }
path "transit/decrypt/*" { capabilities = ["update"] }
