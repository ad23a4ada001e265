// Names the calling thread as `top -H`, `perf` and /proc show it (Linux
// keeps 15 characters), so an operator can tell the host's threads apart.
#pragma once

#include <pthread.h>

#include <string>

namespace signet::host {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace signet::host
