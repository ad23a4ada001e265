// Built for a newer SDK minor version than the host's: the host must refuse it.
#include "broken_descriptor.hpp"

SIGNET_TEST_DESCRIPTOR("newer-minor", SIGNET_SDK_MAJOR, SIGNET_SDK_MINOR + 1, SIGNET_BUILD_KEY)
