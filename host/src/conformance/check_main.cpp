// signet-plugin-check: the conformance kit plugin authors run against their
// own plugin (docs/plugin-conformance.md). `signet plugins check` is the same.
#include <iostream>

#include "conformance/options.hpp"

int main(int argc, char** argv) {
  using namespace signet::host::conformance;
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kCheckUsage;
    return 0;
  }
  std::string error;
  const auto options = parse_check_options(argc, argv, 1, error);
  if (!options) {
    std::cerr << "signet-plugin-check: " << error << "\n" << kCheckUsage;
    return 2;
  }
  return run_check(*options);
}
