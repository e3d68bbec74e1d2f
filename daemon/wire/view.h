// Shared pieces of header views (STYLE.md #1): a view is a non-owning span
// over packet bytes, `const uint8_t` for reading or `uint8_t` for writing.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "base/addr.h"
#include "base/byteorder.h"

namespace stackd::wire {

// The byte type a view is over: uint8_t (read/write) or const uint8_t (read).
template <class B>
concept WireByte = std::is_same_v<std::remove_const_t<B>, uint8_t>;

template <class B>
inline constexpr bool kMutable = !std::is_const_v<B>;

inline MacAddr load_mac(const uint8_t* p) {
  MacAddr m;
  std::memcpy(m.b.data(), p, 6);
  return m;
}
inline void store_mac(uint8_t* p, const MacAddr& m) { std::memcpy(p, m.b.data(), 6); }
inline Ipv4Addr load_ipv4(const uint8_t* p) { return {load_be32(p)}; }
inline void store_ipv4(uint8_t* p, Ipv4Addr a) { store_be32(p, a.v); }
inline Ipv6Addr load_ipv6(const uint8_t* p) {
  Ipv6Addr a;
  std::memcpy(a.b.data(), p, 16);
  return a;
}
inline void store_ipv6(uint8_t* p, const Ipv6Addr& a) { std::memcpy(p, a.b.data(), 16); }

// Copies `src` to `dst` unless it is already there (emit of a repr whose
// data span points into the buffer being written). Sizes must match.
inline void place_bytes(std::span<uint8_t> dst, std::span<const uint8_t> src) {
  if (!src.empty() && dst.data() != src.data()) std::memmove(dst.data(), src.data(), src.size());
}

}  // namespace stackd::wire
