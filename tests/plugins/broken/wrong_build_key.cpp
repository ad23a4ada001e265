// Built with another compiler/standard library: the host must refuse it.
#include "broken_descriptor.hpp"

SIGNET_TEST_DESCRIPTOR("wrong-build-key", SIGNET_SDK_MAJOR, SIGNET_SDK_MINOR, "gcc-0/other")
