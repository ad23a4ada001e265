# Warnings on the project's own code only (system headers are exempt).
# They are errors only with SIGNET_WERROR=ON, which scripts/build (and so
# scripts/test and CI) turns on: a packager's build with a newer compiler
# must not fail on a warning that compiler invents.
option(SIGNET_WERROR "Treat warnings in the project's code as errors" OFF)

function(signet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast)
  if(SIGNET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
