#include "l2/link.h"

#include "l2/ethernet.h"
#include "l2/ipv6_addr.h"
#include "wire/ethernet.h"

namespace stackd::l2 {

Link::Link(const stack::NeighbourTimers& timers, Counters& counters, DropStats& drops,
           buf::FramePool* frame_pool)
    : counters_(counters),
      drops_(drops),
      frame_pool_(frame_pool),
      cache_(timers, drops, *this),
      arp_(cache_, counters, drops, *this),
      ndp_(cache_, timers, counters, drops, *this),
      mld_(counters, drops, *this) {}

void Link::attach(Interface& iface) {
  if (ifaces_.size() <= iface.index) ifaces_.resize(iface.index + 1, nullptr);
  ifaces_[iface.index] = &iface;
}

void Link::detach(uint16_t ifindex) {
  cache_.flush_interface(ifindex);
  ndp_.forget(ifindex);
  mld_.forget(ifindex);
  if (ifindex < ifaces_.size()) ifaces_[ifindex] = nullptr;
}

Interface* Link::find(uint16_t ifindex) const {
  return ifindex < ifaces_.size() ? ifaces_[ifindex] : nullptr;
}

void Link::interface_up(Interface& iface, Instant now) {
  attach(iface);
  iface.up = true;
  for (const auto& p : iface.addrs)
    if (p.addr.is_v4()) arp_.announce(iface, p.addr.v4());
  if (iface.ipv6) {
    ipv6_setup_addresses(iface);
    ndp_.start_dad(iface, now);
    mld_.sync(iface, now);  // RFC 4862 §5.4.2: the groups joined are reported (RFC 3810)
  }
}

void Link::input(Interface& iface, buf::PacketBuf&& frame, Instant now) {
  iface.stats.rx_packets++;
  iface.stats.rx_bytes += frame.size();
  auto drop = [&](DropReason r) {
    drops_.drop(r);
    iface.stats.rx_dropped++;
  };
  if (!iface.up) return drop(DropReason::kIfaceDown);
  auto rx = ethernet_accept(iface, frame.bytes());
  if (!rx) return drop(rx.error());
  if (rx->cast == LinkCast::kMulticast) iface.stats.rx_multicast++;

  frame.ifindex = iface.index;
  frame.pull_front(wire::kEthernetHeaderLen);
  switch (rx->type) {
    case wire::EtherType::kArp:
      return arp_.input(iface, std::move(frame), rx->cast, now);
    case wire::EtherType::kIpv4:
      if (l3_ == nullptr) return drop(DropReason::kEthUnknownType);
      return l3_->ipv4_input(iface, std::move(frame), rx->cast, now);
    case wire::EtherType::kIpv6:
      if (ipv6_ != nullptr) return ipv6_->ipv6_input(iface, std::move(frame), rx->cast, now);
      if (l3_ == nullptr) return drop(DropReason::kEthUnknownType);
      return l3_->ipv6_input(iface, std::move(frame), rx->cast, now);
    default:
      return drop(DropReason::kEthUnknownType);
  }
}

void Link::output_ipv4(Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt, Instant now) {
  if (!iface.up) return drop_tx(iface, DropReason::kIfaceDown);
  if (pkt.size() > iface.mtu) return drop_tx(iface, DropReason::kFrameTooBig);
  constexpr auto kIpv4 = static_cast<uint16_t>(wire::EtherType::kIpv4);
  // RFC 1122 §3.3.6: limited and subnet-directed broadcasts go to the link
  // broadcast address; RFC 1112 §6.4: multicast to its group MAC.
  if (next_hop.is_broadcast() || iface.is_ipv4_subnet_broadcast(next_hop))
    return send_frame(iface, MacAddr::broadcast(), kIpv4, std::move(pkt));
  if (next_hop.is_multicast())
    return send_frame(iface, ipv4_multicast_mac(next_hop), kIpv4, std::move(pkt));
  attach(iface);  // timers must reach the interface of a pending entry
  if (auto mac = cache_.resolve(iface.index, next_hop, pkt, now))
    send_frame(iface, *mac, kIpv4, std::move(pkt));
}

void Link::output_ipv6(Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                       Instant now) {
  if (!iface.up) return drop_tx(iface, DropReason::kIfaceDown);
  if (pkt.size() > iface.mtu) return drop_tx(iface, DropReason::kFrameTooBig);
  constexpr auto kIpv6 = static_cast<uint16_t>(wire::EtherType::kIpv6);
  // RFC 2464 §7: multicast maps to 33:33 + the low 32 bits.
  if (next_hop.is_multicast())
    return send_frame(iface, ipv6_multicast_mac(next_hop), kIpv6, std::move(pkt));
  attach(iface);
  if (auto mac = cache_.resolve(iface.index, next_hop, pkt, now))
    send_frame(iface, *mac, kIpv6, std::move(pkt));
}

std::optional<DropReason> Link::add_static(Interface& iface, const IpAddr& addr,
                                           const MacAddr& mac, Instant now) {
  attach(iface);
  return cache_.add_static(iface.index, addr, mac, now);
}

buf::PacketBuf Link::alloc_frame(Interface& iface, uint32_t size) {
  buf::FramePool* pool = iface.device != nullptr ? &iface.device->tx_pool() : frame_pool_;
  buf::PacketBuf pkt;
  if (pool != nullptr) pkt = pool->alloc(size, buf::kDefaultHeadroom);
  if (!pkt) drop_tx(iface, DropReason::kNoBuffer);
  return pkt;
}

void Link::send_frame(Interface& iface, const MacAddr& dst, uint16_t ethertype,
                      buf::PacketBuf&& pkt) {
  if (!push_ethernet(pkt, dst, iface.mac, static_cast<wire::EtherType>(ethertype)))
    return drop_tx(iface, DropReason::kNoBuffer);  // no headroom for the header
  iface.stats.tx_packets++;
  iface.stats.tx_bytes += pkt.size();
  iface.tx_queue.push_back(std::move(pkt));
}

void Link::drop_tx(Interface& iface, DropReason r) {
  drops_.drop(r);
  iface.stats.tx_dropped++;
}

void Link::solicit(uint16_t ifindex, const IpAddr& target, std::optional<MacAddr> unicast_to,
                   Instant now) {
  Interface* iface = find(ifindex);
  if (iface == nullptr || !iface->up) return;
  if (target.is_v4())
    arp_.request(*iface, target.v4(), unicast_to);
  else
    ndp_.solicit(*iface, target.v6(), unicast_to, now);
}

void Link::resolved(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                    std::span<buf::PacketBuf> pending, Instant) {
  Interface* iface = find(ifindex);
  if (iface == nullptr) {
    for (size_t n = pending.size(); n > 0; --n) drops_.drop(DropReason::kIfaceDown);
    return;
  }
  auto type = addr.is_v4() ? wire::EtherType::kIpv4 : wire::EtherType::kIpv6;
  for (auto& pkt : pending) send_frame(*iface, mac, static_cast<uint16_t>(type), std::move(pkt));
}

void Link::unresolved(uint16_t ifindex, const IpAddr& addr, std::span<buf::PacketBuf> pending,
                      Instant now) {
  Interface* iface = find(ifindex);
  if (iface != nullptr) iface->stats.tx_dropped += pending.size();
  if (iface != nullptr && unresolved_hook_) unresolved_hook_(*iface, addr, pending, now);
}

}  // namespace stackd::l2
