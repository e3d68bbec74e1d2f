// ARP for IPv4 over Ethernet (RFC 826), on top of the neighbour cache.
// Input follows RFC 826 "Packet Reception" with the merge flag; requests,
// replies and announcements (RFC 5227) go out through a FrameSink so this
// file never touches interfaces' queues or pools directly.
#pragma once

#include <cstdint>
#include <optional>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/packet.h"
#include "l2/interface.h"
#include "l2/neighbour_cache.h"
#include "wire/arp.h"

namespace stackd::l2 {

// Where ARP gets frames from and sends them to (implemented by Link).
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // An empty buffer with room for an Ethernet header in front of `size`
  // bytes; an empty handle (already counted as kNoBuffer) when there is none.
  virtual buf::PacketBuf alloc_frame(Interface& iface, uint32_t size) = 0;
  // Prepend Ethernet (our MAC as source) and queue on iface.tx_queue.
  virtual void send_frame(Interface& iface, const MacAddr& dst, uint16_t ethertype,
                          buf::PacketBuf&& pkt) = 0;
};

class Arp {
 public:
  Arp(NeighbourCache& cache, Counters& counters, DropStats& drops, FrameSink& sink)
      : cache_(cache), counters_(counters), drops_(drops), sink_(sink) {}

  // An ARP packet (Ethernet header already pulled) received as `cast`.
  void input(Interface& iface, buf::PacketBuf&& pkt, LinkCast cast, Instant now);

  // Who-has `target`: broadcast, or unicast to `unicast_to` when
  // re-validating a known neighbour (RFC 1122 §2.3.2.1, Linux PROBE).
  void request(Interface& iface, Ipv4Addr target, std::optional<MacAddr> unicast_to);

  // Gratuitous ARP in request form (RFC 5227 §3 announcement): sender and
  // target protocol address both `addr`, target hardware address zero.
  void announce(Interface& iface, Ipv4Addr addr);

 private:
  void reply(Interface& iface, const wire::ArpRepr& request);
  void send(Interface& iface, const MacAddr& eth_dst, const wire::ArpRepr& arp, Counter counter);

  NeighbourCache& cache_;
  Counters& counters_;
  DropStats& drops_;
  FrameSink& sink_;
};

// The sender protocol address ARP uses towards `target`: our address on
// the target's subnet, else the interface's first IPv4 address.
Ipv4Addr arp_source_for(const Interface& iface, Ipv4Addr target);

}  // namespace stackd::l2
