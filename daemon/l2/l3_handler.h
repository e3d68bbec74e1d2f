// The seams between l2 and the layer above, as abstract interfaces so that
// dependencies point down (ip implements L3Handler; l2 implements
// L2Output) and each side can be tested with a fake of the other.
#pragma once

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

// Downcall: IP hands a complete IPv4 packet (IP header first, fits the MTU)
// for `next_hop` on `iface`. L2 resolves the next hop (ARP; broadcast and
// multicast map directly), prepends Ethernet and queues it on iface.tx_queue,
// or holds it in the bounded pending queue while resolution runs.
class L2Output {
 public:
  virtual ~L2Output() = default;
  virtual void output_ipv4(Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt,
                           Instant now) = 0;
};

}  // namespace stackd::l2
