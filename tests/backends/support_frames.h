// Hand-built Ethernet frames for the back-end tests (byte by byte, through
// load_be16/store_be16), and the few parsers the tests need to recognise
// what the kernel sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"

namespace stackd::test {

inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthIpv4 = 0x0800;

// RFC 826 ARP for Ethernet/IPv4 in an Ethernet frame.
std::vector<uint8_t> arp_frame(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa,
                               MacAddr eth_dst);
// RFC 768 UDP in RFC 791 IPv4 (checksum filled; UDP checksum 0 = none).
std::vector<uint8_t> udp_frame(MacAddr src_mac, MacAddr dst_mac, Ipv4Addr src, Ipv4Addr dst,
                               uint16_t sport, uint16_t dport, std::span<const uint8_t> payload);

struct ArpSeen {
  uint16_t op = 0;
  MacAddr sha;
  Ipv4Addr spa;
  Ipv4Addr tpa;
};
std::optional<ArpSeen> parse_arp(std::span<const uint8_t> frame);

struct UdpSeen {
  MacAddr src_mac;
  Ipv4Addr src;
  Ipv4Addr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  std::vector<uint8_t> payload;
};
std::optional<UdpSeen> parse_udp(std::span<const uint8_t> frame);

}  // namespace stackd::test
