// libc's own definition of a function the shim interposes, found once with
// dlsym(RTLD_NEXT) (thread-safe static init): REAL(connect)(fd, sa, len).
// decltype takes the signature from the system header, so a wrong prototype
// in the shim does not compile.
#pragma once

#include <dlfcn.h>

#define REAL(name)                                                                          \
  ([] {                                                                                     \
    static const auto p = reinterpret_cast<decltype(&::name)>(dlsym(RTLD_NEXT, #name));     \
    return p;                                                                               \
  }())
