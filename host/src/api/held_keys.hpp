// Private keys the host made and keeps in a store instance (never in the
// metadata database), read back for the 201 answer and for bundles.
#pragma once

#include <string>

#include <signet/result.hpp>

#include "plugins/instances.hpp"

namespace signet::host {

// The PKCS#8 PEM in the newest version of the bundle at `path`.
Result<std::string> held_private_key(const PluginInstances& instances, const std::string& store, const std::string& path);

}  // namespace signet::host
