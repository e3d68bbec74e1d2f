# Warnings for our own code only (dependencies' headers come in as SYSTEM).
function(stackd_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow=local
    -Wnon-virtual-dtor -Wimplicit-fallthrough)
endfunction()
