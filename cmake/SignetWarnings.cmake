# Warnings on the project's own code only (system headers are exempt).
# They are errors only with SIGNET_WERROR=ON, which scripts/build (and so
# scripts/test and CI) turns on: a packager's build with a newer compiler
# must not fail on a warning that compiler invents.
option(SIGNET_WERROR "Treat warnings in the project's code as errors" OFF)

function(signet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast)
  # GCC 12 with optimisation (Release's -O3 above all) reports an
  # exabyte-sized -Wrestrict overlap inside libstdc++'s own memcpy for
  # `"text" + std::string`: a known false positive (GCC PR 105329) that
  # every such expression in the tree would trigger.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(SIGNET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
