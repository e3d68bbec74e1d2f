// The seams between l2 and the layer above, as abstract interfaces so that
// dependencies point down (ip implements L3Handler; l2 implements
// L2Output) and each side can be tested with a fake of the other.
#pragma once

#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "l2/interface.h"

namespace stackd::l2 {

// Upcall: Ethernet input hands the network-layer packet (Ethernet header
// already pulled off, padding not yet trimmed) to IP.
class L3Handler {
 public:
  virtual ~L3Handler() = default;
  virtual void ipv4_input(Interface& iface, buf::PacketBuf&& pkt, LinkCast cast, Instant now) = 0;
  virtual void ipv6_input(Interface& iface, buf::PacketBuf&& pkt, LinkCast cast, Instant now) = 0;
};

// Upcall for IPv6 alone, when a separate layer handles it (ip/ipv6.h);
// without one, L3Handler::ipv6_input gets IPv6 too.
class Ipv6Handler {
 public:
  virtual ~Ipv6Handler() = default;
  virtual void ipv6_input(Interface& iface, buf::PacketBuf&& pkt, LinkCast cast, Instant now) = 0;
};

// A Neighbor Discovery message (RFC 4861) as IPv6 input hands it down:
// the IPv6 header fields ND checks and the ICMPv6 message, its checksum
// already verified. Valid only during the call.
struct NdRx {
  Ipv6Addr src, dst;
  uint8_t hop_limit = 0;
  LinkCast cast = LinkCast::kUnicast;
  std::span<const uint8_t> icmp;  // ICMPv6 header first
};

// Downcall: IP hands a complete IPv4 packet (IP header first, fits the MTU)
// for `next_hop` on `iface`. L2 resolves the next hop (ARP; broadcast and
// multicast map directly), prepends Ethernet and queues it on iface.tx_queue,
// or holds it in the bounded pending queue while resolution runs.
class L2Output {
 public:
  virtual ~L2Output() = default;
  virtual void output_ipv4(Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt,
                           Instant now) = 0;
  // The same for IPv6: multicast maps to 33:33:xx (RFC 2464 §7), unicast
  // is resolved by Neighbor Discovery (RFC 4861 §7.2.2).
  virtual void output_ipv6(Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                           Instant now) = 0;
  // ICMPv6 types 133-137: Neighbor Discovery lives beside ARP in l2.
  virtual void nd_input(Interface& iface, const NdRx& rx, Instant now) = 0;
};

}  // namespace stackd::l2
