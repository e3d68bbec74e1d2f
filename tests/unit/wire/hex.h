// Test helper: bytes from a hex string ("45 00 00 54 ..."; spaces ignored).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace stackd::wire::test {

inline std::vector<uint8_t> hex(std::string_view s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n') continue;
    else throw std::invalid_argument("bad hex");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex");
  return out;
}

// A captured ping: 02:00:00:00:00:01 > 02:00:00:00:00:02, 10.0.0.1 > 10.0.0.2,
// ICMP echo request id 1 seq 2 with 56 bytes 0x10..0x47 (IP checksum 0x0a61,
// ICMP checksum 0x3f28, computed independently).
inline const char* kPingFrame =
    "020000000002 020000000001 0800"
    "4500 0054 1c46 4000 4001 0a61 0a000001 0a000002"
    "0800 3f28 0001 0002"
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f4041424344454647";

// UDP 10.0.0.1:5353 > 10.0.0.2:53, "hello stackd" (UDP checksum 0x5277).
inline const char* kUdpFrame =
    "020000000002 020000000001 0800"
    "4500 0028 0001 4000 4011 26c2 0a000001 0a000002"
    "14e9 0035 0014 5277 68656c6c6f20737461636b64";

}  // namespace stackd::wire::test
