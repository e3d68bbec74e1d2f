// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
// 2012): a keyed 64-bit PRF over short inputs. TCP uses it wherever an
// off-path attacker must not predict a value: ISNs (RFC 6528), ephemeral
// port offsets (RFC 6056) and SYN cookies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace stackd::tcp {

// A 128-bit key as two little-endian 64-bit words (k0 = key bytes 0..7).
struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  // The paper's byte order: k0 from bytes 0..7, k1 from 8..15, little-endian.
  static SipKey from_bytes(std::span<const uint8_t, 16> b);
  bool operator==(const SipKey&) const = default;
};

// SipHash-2-4 of `msg` under `key`, the 64-bit tag as an integer (the
// reference vectors print it least significant byte first).
uint64_t siphash24(const SipKey& key, std::span<const uint8_t> msg);

}  // namespace stackd::tcp
