// Shared by the wire fuzz targets: parse -> emit -> parse must agree
// (STYLE.md #13); a disagreement aborts so libFuzzer records the input.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "base/addr.h"

#define WIRE_FUZZ_CHECK(cond)                                                    \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

namespace stackd::wire::fuzz {

inline IpAddr v4_src() { return Ipv4Addr::from_octets(10, 0, 0, 1); }
inline IpAddr v4_dst() { return Ipv4Addr::from_octets(10, 0, 0, 2); }
inline Ipv6Addr v6_src() { return *Ipv6Addr::parse("fe80::1"); }
inline Ipv6Addr v6_dst() { return *Ipv6Addr::parse("2001:db8::2"); }

}  // namespace stackd::wire::fuzz
