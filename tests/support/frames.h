// Frame builders for whole-stack packet tests and benchmarks: plain byte
// vectors built with the wire reprs (so checksums are right unless a test
// breaks them on purpose), and the fragmenting/reassembling helpers a peer
// needs to talk to the stack the way Linux does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

namespace stackd::testsupport {

using Bytes = std::vector<uint8_t>;

// Ethernet header + payload, padded to the 60-byte minimum frame.
Bytes eth_frame(const MacAddr& src, const MacAddr& dst, wire::EtherType type,
                std::span<const uint8_t> payload);

Bytes eth_arp_request(const MacAddr& src_mac, Ipv4Addr src, Ipv4Addr target);
Bytes eth_arp_reply(const MacAddr& src_mac, Ipv4Addr src, const MacAddr& dst_mac, Ipv4Addr dst);

// An IPv4 packet: `h` with payload_len filled in from `payload`.
Bytes ipv4_packet(wire::Ipv4Repr h, std::span<const uint8_t> payload);
// A UDP datagram (header + payload) with its checksum for src/dst.
Bytes udp_datagram(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport,
                   std::span<const uint8_t> payload);
// An ICMP echo request (reply = false) or reply message.
Bytes icmp_echo(uint16_t id, uint16_t seq, std::span<const uint8_t> data, bool reply = false);

// Whole frames. The IPv4 header has TTL 64, no DF, ident `ident`.
Bytes eth_ipv4_udp(const MacAddr& src_mac, const MacAddr& dst_mac, Ipv4Addr src, Ipv4Addr dst,
                   uint16_t sport, uint16_t dport, std::span<const uint8_t> payload,
                   uint16_t ident = 1);
Bytes eth_icmp_echo(const MacAddr& src_mac, const MacAddr& dst_mac, Ipv4Addr src, Ipv4Addr dst,
                    uint16_t id, uint16_t seq, std::span<const uint8_t> data, uint16_t ident = 1);

// Split an IPv4 packet as Linux ip_fragment() does: every fragment but the
// last carries (mtu - header) rounded down to 8 bytes. A packet that fits
// comes back alone and unchanged.
std::vector<Bytes> fragment_ipv4(std::span<const uint8_t> ip_packet, uint32_t mtu = 1500);
// The same over a whole frame: the Ethernet header is repeated per fragment.
std::vector<Bytes> fragment_frame(std::span<const uint8_t> frame, uint32_t mtu = 1500);

// Put fragment frames (any order) back together into one frame: the first
// fragment's Ethernet header, the IPv4 header with MF/offset cleared and the
// total length and checksum fixed. Nothing when the fragments do not cover
// the datagram without a hole; a frame that is not a fragment is returned
// as is when it is alone.
std::optional<Bytes> reassemble_frames(const std::vector<Bytes>& frames);

// `n` bytes of a recognisable pattern starting at `seed`.
Bytes pattern(size_t n, uint8_t seed = 0);

}  // namespace stackd::testsupport
