// Composable frame checkers for whole-stack tests (STYLE.md #12, after
// gVisor pkg/tcpip/checker):
//
//   EXPECT_TRUE(expect_frame(f, Eth(Dst(peer_mac)),
//                            Ipv4(Src(us), Dst(peer), Proto(17)),
//                            Udp(SrcPort(7), Payload(data))));
//
// A frame is parsed once into ParsedFrame with the wire reprs (checksums
// verified); every checker looks at one field and appends what is wrong.
// A failure prints each complaint and the frame as tcpdump shows it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/addr.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

namespace stackd::testsupport {

struct ParsedFrame {
  std::span<const uint8_t> bytes;
  std::optional<wire::EthernetRepr> eth;
  std::optional<wire::ArpRepr> arp;
  std::optional<wire::Ipv4Repr> ip;
  std::span<const uint8_t> ip_payload;  // what the IPv4 header carries
  std::optional<wire::UdpRepr> udp;     // unfragmented datagrams only
  std::optional<wire::Icmpv4Repr> icmp;
  std::span<const uint8_t> l4_payload;  // UDP payload or ICMP data
  std::string error;                    // why parsing stopped early
};

ParsedFrame parse_frame(std::span<const uint8_t> frame);

using Errors = std::vector<std::string>;
using Check = std::function<void(const ParsedFrame&, Errors&)>;

// Layers: each requires its header to be present and valid, then runs the
// field checks given to it.
template <class... C>
Check Eth(C... c);
template <class... C>
Check Arp(C... c);
template <class... C>
Check Ipv4(C... c);
template <class... C>
Check Udp(C... c);
template <class... C>
Check Icmp(C... c);

// Fields. Src/Dst pick the layer by the address type.
Check Src(const MacAddr& m);
Check Dst(const MacAddr& m);
Check Src(Ipv4Addr a);
Check Dst(Ipv4Addr a);
Check Proto(uint8_t p);
Check Ttl(uint8_t t);
Check DontFrag(bool df);
Check MoreFrags(bool mf);
Check FragOffset(uint16_t bytes);
Check IpPayloadLen(size_t n);
Check Op(wire::ArpOp op);
Check SenderMac(const MacAddr& m);
Check SenderIp(Ipv4Addr a);
Check TargetMac(const MacAddr& m);
Check TargetIp(Ipv4Addr a);
Check SrcPort(uint16_t p);
Check DstPort(uint16_t p);
Check Type(uint8_t t);
Check Code(uint8_t c);
Check EchoId(uint16_t id);
Check EchoSeq(uint16_t seq);
// UDP payload or ICMP data, byte for byte.
Check Payload(std::span<const uint8_t> bytes);

::testing::AssertionResult run_checks(std::span<const uint8_t> frame,
                                      const std::vector<Check>& checks);

template <class... C>
::testing::AssertionResult expect_frame(std::span<const uint8_t> frame, C... checks) {
  return run_checks(frame, std::vector<Check>{Check(std::move(checks))...});
}

namespace detail {
Check layer(const char* name, bool (*present)(const ParsedFrame&), std::vector<Check> checks);
bool has_eth(const ParsedFrame& f);
bool has_arp(const ParsedFrame& f);
bool has_ip(const ParsedFrame& f);
bool has_udp(const ParsedFrame& f);
bool has_icmp(const ParsedFrame& f);
}  // namespace detail

template <class... C>
Check Eth(C... c) {
  return detail::layer("Ethernet", detail::has_eth, {Check(std::move(c))...});
}
template <class... C>
Check Arp(C... c) {
  return detail::layer("ARP", detail::has_arp, {Check(std::move(c))...});
}
template <class... C>
Check Ipv4(C... c) {
  return detail::layer("IPv4", detail::has_ip, {Check(std::move(c))...});
}
template <class... C>
Check Udp(C... c) {
  return detail::layer("UDP", detail::has_udp, {Check(std::move(c))...});
}
template <class... C>
Check Icmp(C... c) {
  return detail::layer("ICMP", detail::has_icmp, {Check(std::move(c))...});
}

}  // namespace stackd::testsupport
