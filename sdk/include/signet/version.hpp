// SDK version and build key. See docs/plugin-authoring.md, "ABI and versions".
#pragma once

#include <nlohmann/json.hpp>

// Major: bumped for any change that breaks a built plugin. Minor: bumped when
// the SDK only adds (capability bits, trailing descriptor fields, virtual
// functions at the end of an interface, new host services).
#define SIGNET_SDK_MAJOR 1
#define SIGNET_SDK_MINOR 2

#define SIGNET_DETAIL_STR2(x) #x
#define SIGNET_DETAIL_STR(x) SIGNET_DETAIL_STR2(x)

#if defined(__clang__)
#define SIGNET_DETAIL_COMPILER "clang-" SIGNET_DETAIL_STR(__clang_major__)
#elif defined(__GNUC__)
#define SIGNET_DETAIL_COMPILER "gcc-" SIGNET_DETAIL_STR(__GNUC__)
#else
#define SIGNET_DETAIL_COMPILER "unknown-compiler"
#endif

#if defined(_LIBCPP_VERSION)
#define SIGNET_DETAIL_STDLIB "libc++"
#elif defined(_GLIBCXX_USE_CXX11_ABI)
#define SIGNET_DETAIL_STDLIB "libstdc++-cxx11abi" SIGNET_DETAIL_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define SIGNET_DETAIL_STDLIB "unknown-stdlib"
#endif

// The build key names everything that makes C++ objects passed across the
// boundary (std::string, std::shared_ptr, nlohmann::json) layout-compatible.
// The host refuses a plugin whose key differs from its own.
#define SIGNET_BUILD_KEY                                                     \
  SIGNET_DETAIL_COMPILER "/" SIGNET_DETAIL_STDLIB "/nlohmann-json-"          \
      SIGNET_DETAIL_STR(NLOHMANN_JSON_VERSION_MAJOR) "." SIGNET_DETAIL_STR( \
          NLOHMANN_JSON_VERSION_MINOR)

// Interfaces crossing the boundary keep default visibility even when a plugin
// is built with -fvisibility=hidden, so their type_info stays one type.
#define SIGNET_SDK_API __attribute__((visibility("default")))
