// tcpdump-style one-line printers (STYLE.md #14) for logs and test failures.
//
//   describe_frame(f)       "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 2, length 64"
//   describe_frame(f, true) "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800),
//                            length 98: IP 10.0.0.1 > ..."
//   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
//   IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 1, ack 2, win 512,
//       options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//
// Printers never verify checksums (as tcpdump) and never read past the
// span: a header that fails its structural check prints as "[|proto: reason]".
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace stackd::wire {

// A whole Ethernet frame: Ethernet (+802.1Q) -> ARP / IPv4 / IPv6 -> L4.
std::string describe_frame(std::span<const uint8_t> frame, bool link_header = false);

// "src > dst, [vlan 5, p 0, ]ethertype IPv4 (0x0800), length N"
std::string describe_ethernet(std::span<const uint8_t> frame);
std::string describe_arp(std::span<const uint8_t> bytes);
// An IPv4 / IPv6 packet and what it carries.
std::string describe_ipv4(std::span<const uint8_t> packet);
std::string describe_ipv6(std::span<const uint8_t> packet);

// Upper layers, without addresses: "ICMP echo request, id 1, seq 2, length 64".
std::string describe_icmpv4(std::span<const uint8_t> message);
std::string describe_icmpv6(std::span<const uint8_t> message);
// "UDP, length 12"
std::string describe_udp(std::span<const uint8_t> datagram);
// "Flags [P.], seq 1:19, ack 5, win 502, options [...], length 18"
std::string describe_tcp(std::span<const uint8_t> segment);
// "[S.]", "[F.]", "[none]"
std::string tcp_flags_string(uint8_t flags);
// "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]" in wire order.
std::string describe_tcp_options(std::span<const uint8_t> options);

}  // namespace stackd::wire
