// Fields of JSON answers from other systems (Vault, Keyfactor ...), read
// without trusting their types: a missing field, one of another type or a
// `j` that is not an object gives the fallback, never an exception.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace signet::jsonutil {

const nlohmann::json& object_field(const nlohmann::json& j, const char* key);  // {} when not an object
std::string text_field(const nlohmann::json& j, const char* key);
bool bool_field(const nlohmann::json& j, const char* key, bool fallback = false);
long long int_field(const nlohmann::json& j, const char* key, long long fallback = 0);

}  // namespace signet::jsonutil
