// The link layer of one stack worker: Ethernet input and output, ARP
// (RFC 826) and the neighbour cache, for every interface the stack owns.
//
//   device rx -> Link::input -> Ethernet accept/dispatch -+-> L3Handler (IPv4/IPv6)
//                                                         +-> Arp::input -> cache / reply
//   IP -> Link::output_ipv4 -> broadcast/multicast map | NeighbourCache::resolve
//        -> push Ethernet header -> iface.tx_queue (the stack flushes to the device)
//
// Frames l2 makes itself (ARP) come from the interface's device tx_pool(),
// or from the `frame_pool` given here for interfaces without a device
// (tests, and devices attached later).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/packet.h"
#include "buf/pool.h"
#include "l2/arp.h"
#include "l2/interface.h"
#include "l2/l3_handler.h"
#include "l2/mld.h"
#include "l2/ndp.h"
#include "l2/neighbour_cache.h"
#include "stack/config.h"

namespace stackd::l2 {

class Link final : public L2Output,
                   private NeighbourCache::Events,
                   private FrameSink,
                   private Ipv6Sink {
 public:
  // Called with the packets that waited for a next hop that could not be
  // resolved (they are dropped, counted as kNeighUnresolved, right after):
  // IP sends ICMP host unreachable for them (RFC 1122 §3.2.2.1).
  using UnresolvedHook = std::function<void(Interface& iface, const IpAddr& next_hop,
                                            std::span<buf::PacketBuf> pkts, Instant now)>;

  Link(const stack::NeighbourTimers& timers, Counters& counters, DropStats& drops,
       buf::FramePool* frame_pool = nullptr);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void set_l3_handler(L3Handler* l3) { l3_ = l3; }
  void set_ipv6_handler(Ipv6Handler* h) { ipv6_ = h; }
  void set_unresolved_hook(UnresolvedHook hook) { unresolved_hook_ = std::move(hook); }

  // Make an interface known to l2 (timers reach it by index). The
  // Interface must outlive its attachment. detach() flushes its neighbours.
  void attach(Interface& iface);
  void detach(uint16_t ifindex);

  // Mark the interface up (attaching it) and announce each IPv4 address
  // with a gratuitous ARP request (RFC 5227 §3 announcement). With IPv6
  // enabled: derive the link-local address, join the groups and start
  // duplicate address detection for every IPv6 address (l2/ndp.h).
  void interface_up(Interface& iface, Instant now);

  // One received frame, Ethernet header first.
  void input(Interface& iface, buf::PacketBuf&& frame, Instant now);

  // L2Output: an IPv4 packet for `next_hop` on `iface`.
  void output_ipv4(Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt,
                   Instant now) override;

  // L2Output: an IPv6 packet for `next_hop` on `iface`.
  void output_ipv6(Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                   Instant now) override;
  // L2Output: a Neighbor Discovery or MLD message from IPv6 input.
  void nd_input(Interface& iface, const NdRx& rx, Instant now) override {
    if (!rx.icmp.empty() && is_mld_type(rx.icmp[0])) return mld_.input(iface, rx, now);
    ndp_.input(iface, rx, now);
  }
  static constexpr bool is_mld_type(uint8_t t) {
    return t == wire::icmpv6_type::kMldQuery || t == wire::icmpv6_type::kMldReport ||
           t == wire::icmpv6_type::kMldDone || t == wire::icmpv6_type::kMldv2Report;
  }
  // The interface's IPv6 addresses changed (the control plane, a reload):
  // MLD reports the groups joined and left now rather than at its next
  // once-a-second check.
  void ipv6_addresses_changed(Interface& iface, Instant now) { mld_.sync(iface, now); }
  const Mld& mld() const { return mld_; }
  // IPv6 addresses leaving TENTATIVE (DAD passed or found a duplicate).
  void set_ipv6_addr_hook(Ndp::AddrHook h) { ndp_.set_addr_hook(std::move(h)); }
  // Router advertisements on interfaces with accept_ra (the stack installs routes).
  void set_router_hook(Ndp::RouterHook h) { ndp_.set_router_hook(std::move(h)); }

  // Static neighbours (PERMANENT) for `ip neigh add ... nud permanent`.
  std::optional<DropReason> add_static(Interface& iface, const IpAddr& addr, const MacAddr& mac,
                                       Instant now);

  NeighbourCache& neighbours() { return cache_; }
  const NeighbourCache& neighbours() const { return cache_; }

  Instant poll_at() const { return earliest(earliest(cache_.poll_at(), ndp_.poll_at()), mld_.poll_at()); }
  void on_timer(Instant now) {
    cache_.on_timer(now);
    ndp_.on_timer(now);
    mld_.on_timer(now);
  }

 private:
  // NeighbourCache::Events
  void solicit(uint16_t ifindex, const IpAddr& target, std::optional<MacAddr> unicast_to,
               Instant now) override;
  void resolved(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                std::span<buf::PacketBuf> pending, Instant now) override;
  void unresolved(uint16_t ifindex, const IpAddr& addr, std::span<buf::PacketBuf> pending,
                  Instant now) override;

  // FrameSink (ARP's frames)
  buf::PacketBuf alloc_frame(Interface& iface, uint32_t size) override;
  // Prepend Ethernet and queue for transmission; counts tx stats or the drop.
  void send_frame(Interface& iface, const MacAddr& dst, uint16_t ethertype,
                  buf::PacketBuf&& pkt) override;

  // Ipv6Sink (ND's packets)
  buf::PacketBuf alloc_packet(Interface& iface, uint32_t size) override {
    return alloc_frame(iface, size);
  }
  void send_ipv6(Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                 Instant now) override {
    output_ipv6(iface, next_hop, std::move(pkt), now);
  }

  Interface* find(uint16_t ifindex) const;
  void drop_tx(Interface& iface, DropReason r);

  Counters& counters_;
  DropStats& drops_;
  buf::FramePool* frame_pool_;
  L3Handler* l3_ = nullptr;
  Ipv6Handler* ipv6_ = nullptr;
  UnresolvedHook unresolved_hook_;
  NeighbourCache cache_;
  Arp arp_;
  Ndp ndp_;
  Mld mld_;
  std::vector<Interface*> ifaces_;  // by index; null when detached
};

}  // namespace stackd::l2
