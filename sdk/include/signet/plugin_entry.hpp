// SIGNET_PLUGIN: defines the descriptor and the entry symbol of a plugin
// library. Use it exactly once per library, in one source file:
//
//   signet::Result<std::unique_ptr<signet::Notifier>>
//   make_notifier(const signet::PluginContext& context);
//
//   SIGNET_PLUGIN(signet::Notifier, "notify-jsonl", "1.0.0", kSchema,
//                 0, make_notifier)
//
// The factory checks `context.config` beyond what the schema can say and
// returns Error{invalid_config} with one ConfigProblem per problem found.
#pragma once

#include <boost/dll/alias.hpp>

#include <signet/descriptor.hpp>
#include <signet/guard.hpp>

#define SIGNET_PLUGIN(Interface, Name, Version, Schema, Capabilities, Factory)      \
  namespace {                                                                        \
  ::signet::Result<std::shared_ptr<::signet::Plugin>> signet_detail_create(          \
      const ::signet::PluginContext& context) noexcept {                             \
    return ::signet::guard([&]() -> ::signet::Result<std::shared_ptr<::signet::Plugin>> { \
      return ::signet::detail::create_guarded<Interface>(Factory(context));          \
    });                                                                              \
  }                                                                                  \
  const ::signet_plugin_descriptor signet_detail_descriptor = {                      \
      sizeof(::signet_plugin_descriptor),                                            \
      SIGNET_SDK_MAJOR,                                                              \
      SIGNET_SDK_MINOR,                                                              \
      ::signet::detail::KindOf<Interface>::value,                                    \
      0,                                                                             \
      Name,                                                                          \
      Version,                                                                       \
      SIGNET_BUILD_KEY,                                                              \
      Schema,                                                                        \
      Capabilities,                                                                  \
      &signet_detail_create,                                                         \
  };                                                                                 \
  const ::signet_plugin_descriptor* signet_detail_entry() { return &signet_detail_descriptor; } \
  }                                                                                  \
  BOOST_DLL_ALIAS(signet_detail_entry, signet_plugin_entry)
