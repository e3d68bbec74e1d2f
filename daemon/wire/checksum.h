// The Internet checksum (RFC 1071), pseudo-header sums (RFC 768, RFC 793,
// RFC 8200 §8.1) and incremental update (RFC 1624).
//
// A *partial sum* is an unfolded one's-complement sum of 16-bit big-endian
// words, kept in a uint32_t. Partial sums add (checksum_add), so a transport
// checksum is pseudo-header sum + header sum + payload sum, finished once.
// Combining is exact as long as every span except the last one has an even
// length (an odd span is summed as if padded with one zero byte, RFC 1071
// §1), which holds for pseudo-headers, IP/TCP/UDP/ICMP headers and payloads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/addr.h"

namespace stackd::wire {

// Whether a parser verifies a checksum or trusts the NIC (RX offload).
enum class ChecksumCheck : uint8_t { kVerify, kSkip };

// One's-complement sum of `data` (8 bytes at a time, 64-bit accumulation),
// folded to at most 17 bits so that it can be added to other partial sums.
uint32_t checksum_partial(std::span<const uint8_t> data);

// Adds two partial sums (end-around carry, RFC 1071 §1 "(2) Associative").
constexpr uint32_t checksum_add(uint32_t a, uint32_t b) {
  uint64_t s = uint64_t{a} + b;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

// Folds a partial sum to 16 bits (not complemented).
constexpr uint16_t checksum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The value to store in a checksum field: ~fold(sum).
constexpr uint16_t checksum_finish(uint32_t sum) {
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// Checksum of one span (e.g. an IPv4 header with its checksum field zeroed).
inline uint16_t internet_checksum(std::span<const uint8_t> data) {
  return checksum_finish(checksum_partial(data));
}

// True when the span (checksum field included) sums to 0xffff, i.e. the
// stored checksum is right (RFC 1071 §1: "the result ... will be all 1 bits").
inline bool checksum_ok(std::span<const uint8_t> data, uint32_t initial = 0) {
  return checksum_fold(checksum_add(initial, checksum_partial(data))) == 0xffff;
}

// IPv4 pseudo-header (RFC 768, RFC 9293 §3.1): src, dst, zero, protocol, length.
constexpr uint32_t ipv4_pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                                          uint16_t length) {
  uint32_t s = (src.v >> 16) + (src.v & 0xffff) + (dst.v >> 16) + (dst.v & 0xffff) +
               protocol + length;
  return checksum_add(s, 0);
}

// IPv6 pseudo-header (RFC 8200 §8.1): src, dst, 32-bit upper-layer length,
// three zero bytes, next header.
uint32_t ipv6_pseudo_header_sum(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t next_header,
                                uint32_t length);

// Either family (both addresses must be of the same family).
uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, uint8_t protocol,
                           uint32_t length);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit field that changed
// from m to m'. Eqn. 3 (not eqn. 2) so that the result is never -0 when the
// true sum is +0 (RFC 1624 §3).
constexpr uint16_t checksum_update16(uint16_t hc, uint16_t old_word, uint16_t new_word) {
  uint32_t s = uint32_t{static_cast<uint16_t>(~hc)} + static_cast<uint16_t>(~old_word) + new_word;
  return static_cast<uint16_t>(~checksum_fold(s));
}

// The same for a 32-bit field (e.g. an IPv4 address, a TCP sequence number).
constexpr uint16_t checksum_update32(uint16_t hc, uint32_t old_value, uint32_t new_value) {
  uint32_t s = uint32_t{static_cast<uint16_t>(~hc)} +
               static_cast<uint16_t>(~(old_value >> 16)) +
               static_cast<uint16_t>(~(old_value & 0xffff)) + (new_value >> 16) +
               (new_value & 0xffff);
  return static_cast<uint16_t>(~checksum_fold(s));
}

}  // namespace stackd::wire
