// Neighbor Discovery (RFC 4861 §4): router/neighbour solicitation and
// advertisement, redirect, and their options, carried in ICMPv6.
//
//  RS  133: reserved(4)                                          options at 8
//  RA  134: cur hop limit, M|O flags, router lifetime(16),
//           reachable time(32), retrans timer(32)                options at 16
//  NS  135: reserved(4) target(16)                               options at 24
//  NA  136: R|S|O flags + reserved(4) target(16)                 options at 24
//  Redirect 137: reserved(4) target(16) destination(16)          options at 40
//  (offsets from the start of the ICMPv6 message)
//
// Options (§4.6): type, length in units of 8 bytes (0 is malformed), data.
// Source/target link-layer address (Ethernet: length 1), prefix information
// (length 4), redirected header, MTU (length 1); others are skipped (§4.6:
// "silently ignore any options they do not recognize").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "base/expected.h"
#include "wire/icmpv6.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kNdpMaxPrefixes = 4;

namespace ndp_opt {
inline constexpr uint8_t kSourceLinkAddr = 1;
inline constexpr uint8_t kTargetLinkAddr = 2;
inline constexpr uint8_t kPrefixInfo = 3;
inline constexpr uint8_t kRedirectedHeader = 4;
inline constexpr uint8_t kMtu = 5;
}  // namespace ndp_opt

struct NdpPrefixInfo {  // §4.6.2
  uint8_t prefix_len = 0;
  bool on_link = false;     // L
  bool autonomous = false;  // A
  uint32_t valid_lifetime = 0;
  uint32_t preferred_lifetime = 0;
  Ipv6Addr prefix;
  bool operator==(const NdpPrefixInfo&) const = default;
};

struct NdpOptions {
  std::optional<MacAddr> source_lladdr;
  std::optional<MacAddr> target_lladdr;
  std::optional<uint32_t> mtu;
  uint8_t prefix_count = 0;  // further prefix options are skipped
  std::array<NdpPrefixInfo, kNdpMaxPrefixes> prefixes{};
  // Redirected header data (IP header + data, padded to 8), when present.
  std::optional<std::span<const uint8_t>> redirected;

  std::span<const NdpPrefixInfo> prefix_list() const { return {prefixes.data(), prefix_count}; }
  // kNdpBadOption: length 0, an option past the end, or a known option with
  // a length its RFC does not allow.
  static Expected<NdpOptions> parse(std::span<const uint8_t> bytes);
  size_t emitted_len() const;
  void emit(std::span<uint8_t> out) const;  // out.size() == emitted_len()
  bool operator==(const NdpOptions& o) const;
};

struct NdpRouterSolicit {
  bool operator==(const NdpRouterSolicit&) const = default;
};
struct NdpRouterAdvert {
  uint8_t cur_hop_limit = 0;
  bool managed = false;  // M
  bool other = false;    // O
  uint16_t router_lifetime = 0;  // seconds
  uint32_t reachable_time = 0;   // milliseconds
  uint32_t retrans_timer = 0;    // milliseconds
  bool operator==(const NdpRouterAdvert&) const = default;
};
struct NdpNeighborSolicit {
  Ipv6Addr target;
  bool operator==(const NdpNeighborSolicit&) const = default;
};
struct NdpNeighborAdvert {
  bool router = false;     // R
  bool solicited = false;  // S
  bool override_ = false;  // O
  Ipv6Addr target;
  bool operator==(const NdpNeighborAdvert&) const = default;
};
struct NdpRedirect {
  Ipv6Addr target;
  Ipv6Addr destination;
  bool operator==(const NdpRedirect&) const = default;
};

struct NdpRepr {
  std::variant<NdpRouterSolicit, NdpRouterAdvert, NdpNeighborSolicit, NdpNeighborAdvert,
               NdpRedirect>
      msg;
  NdpOptions options;

  // From an ICMPv6 message whose checksum the caller has checked (or
  // Icmpv6Repr::parse has). Not an NDP type: kIcmpUnknownType; code != 0
  // (§6.1.1, §7.1.1): kNdpInvalid; shorter than the fixed part:
  // kIcmpTruncated; options: kNdpBadOption. The hop limit 255 check needs
  // the IP header and is the caller's.
  static Expected<NdpRepr> parse(Icmpv6View<const uint8_t> v);
  static bool is_ndp_type(uint8_t type) {
    return type >= icmpv6_type::kRouterSolicit && type <= icmpv6_type::kRedirect;
  }
  uint8_t type() const { return static_cast<uint8_t>(icmpv6_type::kRouterSolicit + msg.index()); }
  size_t fixed_len() const;  // ICMPv6 header + message body, before options
  size_t buffer_len() const { return fixed_len() + options.emitted_len(); }
  // `buf.size()` == buffer_len(); writes the message and the checksum.
  void emit(std::span<uint8_t> buf, const Ipv6Addr& src, const Ipv6Addr& dst) const;
  bool operator==(const NdpRepr&) const = default;
};

}  // namespace stackd::wire
