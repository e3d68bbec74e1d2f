// IP protocol / IPv6 next-header numbers (IANA "Assigned Internet Protocol
// Numbers"). Plain constants: the field can hold any value.
#pragma once

#include <cstdint>

namespace stackd::wire::ip_proto {

inline constexpr uint8_t kHopByHop = 0;    // IPv6 Hop-by-Hop Options (RFC 8200 §4.3)
inline constexpr uint8_t kIcmp = 1;        // RFC 792
inline constexpr uint8_t kIgmp = 2;        // RFC 3376
inline constexpr uint8_t kIpIp = 4;        // IPv4 in IP (RFC 2003)
inline constexpr uint8_t kTcp = 6;         // RFC 9293
inline constexpr uint8_t kUdp = 17;        // RFC 768
inline constexpr uint8_t kIpv6 = 41;       // IPv6 in IP (RFC 2473)
inline constexpr uint8_t kIpv6Route = 43;  // RFC 8200 §4.4
inline constexpr uint8_t kIpv6Frag = 44;   // RFC 8200 §4.5
inline constexpr uint8_t kGre = 47;        // RFC 2784
inline constexpr uint8_t kEsp = 50;        // RFC 4303
inline constexpr uint8_t kAh = 51;         // RFC 4302
inline constexpr uint8_t kIcmpv6 = 58;     // RFC 4443
inline constexpr uint8_t kIpv6NoNext = 59; // RFC 8200 §4.7
inline constexpr uint8_t kIpv6Opts = 60;   // Destination Options (RFC 8200 §4.6)
inline constexpr uint8_t kSctp = 132;      // RFC 9260
inline constexpr uint8_t kUdpLite = 136;   // RFC 3828

}  // namespace stackd::wire::ip_proto
