// IPv6 frame builders and parsers for packet tests: packets built with the
// wire reprs (checksums right unless a test breaks them on purpose), the
// Neighbor Discovery messages a Linux peer sends, fragmentation and
// reassembly the way a peer does it (RFC 8200 §4.5), and a parser that
// walks the extension-header chain of what the stack sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "support/frames.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"

namespace stackd::testsupport {

Ipv6Addr A6(const char* s);

// A whole IPv6 packet: `h` with payload_len from `payload` (which starts
// with the header `h.next_header` names: extension headers included).
Bytes ipv6_packet(wire::Ipv6Repr h, std::span<const uint8_t> payload);
Bytes eth_ipv6(const MacAddr& src, const MacAddr& dst, std::span<const uint8_t> ip_packet);
// 33:33 + low 32 bits (RFC 2464 §7).
MacAddr mcast_mac6(const Ipv6Addr& group);

Bytes icmpv6_echo(const Ipv6Addr& src, const Ipv6Addr& dst, uint16_t id, uint16_t seq,
                  std::span<const uint8_t> data, bool reply = false);
Bytes udp6_datagram(const Ipv6Addr& src, const Ipv6Addr& dst, uint16_t sport, uint16_t dport,
                    std::span<const uint8_t> payload);
// An extension header of `type` (Hop-by-Hop / Destination options: `body`
// are the option TLVs; Routing: type, segments left, data), padded to 8.
Bytes options_header(uint8_t next, std::span<const uint8_t> tlvs);
Bytes routing_header(uint8_t next, uint8_t type, uint8_t segments_left);
Bytes cat(std::initializer_list<std::span<const uint8_t>> parts);

// Whole frames of a peer at `src_mac`.
Bytes eth_ping6(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
                const Ipv6Addr& dst, uint16_t id, uint16_t seq, std::span<const uint8_t> data,
                uint8_t hop_limit = 64);
Bytes eth_udp6(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
               const Ipv6Addr& dst, uint16_t sport, uint16_t dport,
               std::span<const uint8_t> payload);
// Neighbor solicitation from `src` (:: for DAD: no SLLA option) for
// `target`, to the solicited-node group unless `dst` is given.
Bytes eth_ns(const MacAddr& src_mac, const Ipv6Addr& src, const Ipv6Addr& target,
             std::optional<Ipv6Addr> dst = std::nullopt, uint8_t hop_limit = 255);
// Neighbor advertisement for `target` with its link-layer address.
Bytes eth_na(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
             const Ipv6Addr& dst, const Ipv6Addr& target, bool solicited, bool override_flag,
             std::optional<MacAddr> tlla, uint8_t hop_limit = 255);

// Split an IPv6 packet (fixed header + payload, no extension headers of
// its own) into fragments of at most `mtu` bytes, Fragment header right
// after the fixed header, identification `ident`.
std::vector<Bytes> fragment_ipv6(std::span<const uint8_t> packet, uint32_t mtu, uint32_t ident);
std::vector<Bytes> fragment_frame6(std::span<const uint8_t> frame, uint32_t mtu, uint32_t ident);

// What the stack sent, parsed: header, the chain walked, the upper layer.
struct Parsed6 {
  wire::Ipv6Repr ip;
  MacAddr eth_dst;
  uint8_t upper = 0;
  std::optional<wire::Ipv6FragRepr> frag;
  std::span<const uint8_t> l4;  // from the upper-layer header on (fragment data for fragments)
};
std::optional<Parsed6> parse6(std::span<const uint8_t> frame);
// Reassemble fragment frames (any order) to the upper-layer bytes.
std::optional<Bytes> reassemble6(const std::vector<Bytes>& frames);

}  // namespace stackd::testsupport
