# Warnings for our own code only (dependencies' headers come in as SYSTEM).
# -Wshadow=local is GCC's; clang gets -Wshadow-uncaptured-local, its nearest.
function(stackd_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wnon-virtual-dtor
    -Wimplicit-fallthrough
    $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
    $<$<CXX_COMPILER_ID:Clang>:-Wshadow-uncaptured-local>)
endfunction()
