#include "wire/checksum.h"

#include <bit>
#include <cstring>

namespace stackd::wire {

// RFC 1071 §2(B): the sum is byte-order independent, so we add native-order
// 64-bit words (as two 32-bit halves into a 64-bit accumulator, which cannot
// overflow below 2^32 words) and swap the folded 16-bit result once at the end.
uint32_t checksum_partial(std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t a0 = 0, a1 = 0;
  while (n >= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    a0 += (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32);
    a1 += (w[2] & 0xffffffffu) + (w[2] >> 32) + (w[3] & 0xffffffffu) + (w[3] >> 32);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    a0 += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    // The tail, zero padded: byte i of the tail keeps its place in the word,
    // so an odd last byte is the high byte of a zero-padded 16-bit word.
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    a1 += (w & 0xffffffffu) + (w >> 32);
  }
  uint64_t s = a0 + a1;
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  auto folded = static_cast<uint16_t>(s);
  if constexpr (std::endian::native == std::endian::little) folded = __builtin_bswap16(folded);
  return folded;
}

uint32_t ipv6_pseudo_header_sum(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t next_header,
                                uint32_t length) {
  uint32_t s = checksum_add(checksum_partial(src.b), checksum_partial(dst.b));
  s = checksum_add(s, (length >> 16) + (length & 0xffff));
  return checksum_add(s, next_header);
}

uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, uint8_t protocol,
                           uint32_t length) {
  if (src.is_v4())
    return ipv4_pseudo_header_sum(src.v4(), dst.v4(), protocol, static_cast<uint16_t>(length));
  return ipv6_pseudo_header_sum(src.v6(), dst.v6(), protocol, length);
}

}  // namespace stackd::wire
