// Built for the next SDK major version: the host must refuse it.
#include "broken_descriptor.hpp"

SIGNET_TEST_DESCRIPTOR("wrong-major", SIGNET_SDK_MAJOR + 1, SIGNET_SDK_MINOR, SIGNET_BUILD_KEY)
