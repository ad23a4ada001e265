// Everything a plugin author needs.
#pragma once

#include <signet/ca.hpp>
#include <signet/descriptor.hpp>
#include <signet/guard.hpp>
#include <signet/intake.hpp>
#include <signet/keys.hpp>
#include <signet/notifier.hpp>
#include <signet/plugin.hpp>
#include <signet/plugin_entry.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>
#include <signet/store.hpp>
#include <signet/version.hpp>
