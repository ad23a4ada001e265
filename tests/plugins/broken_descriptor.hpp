// SIGNET_TEST_DESCRIPTOR: defines the descriptor and the entry symbol of a
// deliberately broken test plugin, with a chosen SDK version and build key.
// Same shape as SIGNET_PLUGIN (sdk/include/signet/plugin_entry.hpp), but the
// fields the host checks first can be set to anything.
#pragma once

#include <boost/dll/alias.hpp>

#include <signet/descriptor.hpp>
#include <signet/plugin_entry.hpp>

#define SIGNET_TEST_DESCRIPTOR(Name, Major, Minor, BuildKey)                              \
  namespace {                                                                             \
  ::signet::Result<std::shared_ptr<::signet::Plugin>> signet_test_create(                 \
      const ::signet::PluginContext&) noexcept {                                          \
    return ::signet::make_error(::signet::ErrorCode::internal, "never to be created");    \
  }                                                                                       \
  const ::signet_plugin_descriptor signet_test_descriptor = {                             \
      sizeof(::signet_plugin_descriptor),                                                 \
      static_cast<std::uint16_t>(Major),                                                  \
      static_cast<std::uint16_t>(Minor),                                                  \
      SIGNET_KIND_NOTIFIER,                                                               \
      0,                                                                                  \
      Name,                                                                               \
      "0.0.1",                                                                            \
      BuildKey,                                                                           \
      "{\"type\":\"object\"}",                                                            \
      0,                                                                                  \
      &signet_test_create,                                                                \
  };                                                                                      \
  const ::signet_plugin_descriptor* signet_test_entry() { return &signet_test_descriptor; } \
  }                                                                                       \
  BOOST_DLL_ALIAS(signet_test_entry, signet_plugin_entry)
