# Warnings as errors on the project's own code only (system headers are exempt).
function(signet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast -Werror)
endfunction()
