#include "l2/ndp.h"

#include <algorithm>

#include "l2/ipv6_addr.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"

namespace stackd::l2 {

namespace {
constexpr uint8_t kNdHopLimit = 255;  // RFC 4861 §7.1: proves the sender is on-link

// Our source for a solicitation: the link-local address, else a preferred
// global one while the link-local is still tentative (RFC 4861 §7.2.2
// leaves the choice among the interface's addresses to us).
Ipv6Addr solicit_source(const Interface& iface) {
  Ipv6Addr ll = iface.link_local();
  if (!ll.is_unspecified()) return ll;
  for (const auto& a : iface.addrs6)
    if (a.state == Ipv6AddrState::kPreferred) return a.addr;
  return {};
}
}  // namespace

void Ndp::start_dad(Interface& iface, Instant now) {
  for (auto& a : iface.addrs6) {
    if (a.state != Ipv6AddrState::kTentative) continue;
    if (timers_.dad_transmits == 0) {
      set_state(iface, a, Ipv6AddrState::kPreferred, now);
      continue;
    }
    // RFC 4862 §5.4.2: source ::, to the solicited-node group of the
    // tentative address, no source link-layer address option.
    a.dad_probes = 1;
    dad_.push_back({&iface, a.addr, now + timers_.retrans});
    send_ns(iface, Ipv6Addr{}, a.addr.solicited_node(), a.addr, now);
  }
}

void Ndp::set_state(Interface& iface, Ipv6IfAddr& a, Ipv6AddrState s, Instant now) {
  a.state = s;
  // RFC 4861 §6.3.7: a host solicits routers once it can send (its
  // link-local address is usable).
  if (s == Ipv6AddrState::kPreferred && iface.accept_ra && a.addr.is_link_local()) {
    rs_.push_back({&iface, 0, now});
    router_timers(now);
  }
  if (hook_) hook_(iface, a.addr, s, now);
}

void Ndp::dad_conflict(Interface& iface, Ipv6IfAddr& a, Instant now) {
  // RFC 4862 §5.4.5: the address is not assigned to the interface.
  drops_.drop(DropReason::kNdpDadConflict);
  std::erase_if(dad_, [&](const Dad& d) { return d.iface == &iface && d.addr == a.addr; });
  set_state(iface, a, Ipv6AddrState::kDuplicate, now);
}

Instant Ndp::poll_at() const {
  Instant t = Instant::never();
  for (const auto& d : dad_) t = earliest(t, d.deadline);
  for (const auto& r : rs_) t = earliest(t, r.next);
  return t;
}

void Ndp::on_timer(Instant now) {
  router_timers(now);
  for (size_t i = 0; i < dad_.size();) {
    Dad& d = dad_[i];
    Ipv6IfAddr* a = d.iface->find_ipv6(d.addr);
    if (a == nullptr || a->state != Ipv6AddrState::kTentative) {
      dad_.erase(dad_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (d.deadline > now) {
      ++i;
      continue;
    }
    if (a->dad_probes < timers_.dad_transmits) {
      ++a->dad_probes;
      d.deadline = now + timers_.retrans;
      send_ns(*d.iface, Ipv6Addr{}, a->addr.solicited_node(), a->addr, now);
      ++i;
      continue;
    }
    // RFC 4862 §5.4: no conflict within RetransTimer after the last probe.
    Interface& iface = *d.iface;
    dad_.erase(dad_.begin() + static_cast<std::ptrdiff_t>(i));
    set_state(iface, *a, Ipv6AddrState::kPreferred, now);
  }
}

void Ndp::forget(uint16_t ifindex) {
  std::erase_if(dad_, [&](const Dad& d) { return d.iface->index == ifindex; });
  std::erase_if(rs_, [&](const Rs& r) { return r.iface->index == ifindex; });
}

void Ndp::solicit(Interface& iface, const Ipv6Addr& target, std::optional<MacAddr> unicast_to,
                  Instant now) {
  const Ipv6Addr src = solicit_source(iface);
  if (src.is_unspecified()) return;  // no usable address yet: the entry times out
  send_ns(iface, src, unicast_to ? target : target.solicited_node(), target, now);
}

void Ndp::input(Interface& iface, const NdRx& rx, Instant now) {
  // RFC 4861 §6.1/§7.1: a hop limit below 255 means the message was
  // forwarded by a router: it is not from a neighbour.
  if (rx.hop_limit != kNdHopLimit) {
    drops_.drop(DropReason::kNdpBadHopLimit);
    return;
  }
  auto view = wire::Icmpv6View<const uint8_t>::checked(rx.icmp);
  if (!view) {
    drops_.drop(view.error());
    return;
  }
  auto nd = wire::NdpRepr::parse(*view);
  if (!nd) {
    drops_.drop(nd.error());
    return;
  }
  if (const auto* ns = std::get_if<wire::NdpNeighborSolicit>(&nd->msg)) {
    return neighbor_solicit(iface, rx, ns->target, nd->options.source_lladdr, now);
  }
  if (const auto* na = std::get_if<wire::NdpNeighborAdvert>(&nd->msg)) {
    return neighbor_advert(iface, rx, na->solicited, na->override_, na->target,
                           nd->options.target_lladdr, now);
  }
  if (const auto* ra = std::get_if<wire::NdpRouterAdvert>(&nd->msg))
    return router_advert(iface, rx, *ra, nd->options, now);
  // Router solicitations (we are no router) and redirects: ignored.
  drops_.drop(DropReason::kNdpIgnored);
}

void Ndp::neighbor_solicit(Interface& iface, const NdRx& rx, const Ipv6Addr& target,
                           std::optional<MacAddr> slla, Instant now) {
  // RFC 4861 §7.1.1 validity.
  const bool from_dad = rx.src.is_unspecified();
  if (target.is_multicast() || (from_dad && (rx.dst != target.solicited_node() || slla))) {
    drops_.drop(DropReason::kNdpInvalid);
    return;
  }
  Ipv6IfAddr* ours = iface.find_ipv6(target);
  if (ours == nullptr || ours->state == Ipv6AddrState::kDuplicate) {
    drops_.drop(DropReason::kNdpNotOurTarget);
    return;
  }
  if (ours->state == Ipv6AddrState::kTentative) {
    // RFC 4862 §5.4.3: another node is doing DAD for the same address
    // (source ::): a duplicate. A solicitation with a source is address
    // resolution for an address we do not have yet: silently discarded.
    if (from_dad) {
      dad_conflict(iface, *ours, now);
    } else {
      drops_.drop(DropReason::kIp6Tentative);
    }
    return;
  }
  // RFC 4861 §7.2.3: create or update the sender's entry (STALE).
  if (!from_dad && slla)
    cache_.learn(iface.index, rx.src, *slla, NeighEvidence::kHeard, true, now);
  // §7.2.4: to the solicitor, or to all-nodes when it came from DAD.
  send_na(iface, target, from_dad ? kAllNodes : rx.src, !from_dad, now);
}

void Ndp::neighbor_advert(Interface& iface, const NdRx& rx, bool solicited, bool override_flag,
                          const Ipv6Addr& target, std::optional<MacAddr> tlla, Instant now) {
  // RFC 4861 §7.1.2 validity.
  if (target.is_multicast() || (rx.dst.is_multicast() && solicited)) {
    drops_.drop(DropReason::kNdpInvalid);
    return;
  }
  if (Ipv6IfAddr* ours = iface.find_ipv6(target)) {
    // RFC 4862 §5.4.4: an advertisement for a tentative address of ours
    // means it is a duplicate. For an address already in use it is a
    // conflict we can only count (§5.4.4: log it; no state change).
    if (ours->state == Ipv6AddrState::kTentative)
      dad_conflict(iface, *ours, now);
    else
      drops_.drop(DropReason::kNdpDadConflict);
    return;
  }
  // §7.2.5: without an entry an (unsolicited) advertisement is discarded.
  if (!cache_.find(iface.index, target)) {
    drops_.drop(DropReason::kNdpUnsolicitedNoEntry);
    return;
  }
  cache_.advert(iface.index, target, tlla, solicited, override_flag, now);
}

void Ndp::send_ns(Interface& iface, const Ipv6Addr& src, const Ipv6Addr& dst,
                  const Ipv6Addr& target, Instant now) {
  wire::NdpRepr nd;
  nd.msg = wire::NdpNeighborSolicit{target};
  // §4.3: the source link-layer address, never with source :: (§7.2.2
  // lets a unicast probe omit it; we always send it when we may).
  if (!src.is_unspecified()) nd.options.source_lladdr = iface.mac;
  send(iface, src, dst, nd, Counter::Icmp6OutNeighborSolicits, now);
}

void Ndp::send_na(Interface& iface, const Ipv6Addr& target, const Ipv6Addr& dst, bool solicited,
                  Instant now) {
  wire::NdpRepr nd;
  // §7.2.4: Override set (not an anycast address), Router clear (a host).
  nd.msg = wire::NdpNeighborAdvert{false, solicited, true, target};
  nd.options.target_lladdr = iface.mac;
  send(iface, target, dst, nd, Counter::Icmp6OutNeighborAdvertisements, now);
}

void Ndp::send(Interface& iface, const Ipv6Addr& src, const Ipv6Addr& dst,
               const wire::NdpRepr& nd, Counter c, Instant now) {
  const uint32_t len = static_cast<uint32_t>(nd.buffer_len());
  const uint32_t total = static_cast<uint32_t>(wire::kIpv6HeaderLen) + len;
  buf::PacketBuf pkt = sink_.alloc_packet(iface, total);
  if (!pkt || !pkt.append(total)) return;
  wire::Ipv6Repr h{src, dst, wire::ip_proto::kIcmpv6, kNdHopLimit, static_cast<uint16_t>(len), 0, 0};
  h.emit(pkt.bytes());
  nd.emit(pkt.bytes().subspan(wire::kIpv6HeaderLen), src, dst);
  counters_.inc(Counter::Icmp6OutMsgs);
  counters_.inc(c);
  sink_.send_ipv6(iface, dst, std::move(pkt), now);
}

}  // namespace stackd::l2
