// IPv6 output: route lookup with source address selection (RFC 6724,
// simplified below), the path MTU (pmtu6.h), header construction,
// fragmentation of our own packets only (RFC 8200 §4.5; we never forward),
// local delivery without a device, then l2::L2Output::output_ipv6.
#include <algorithm>
#include <bit>
#include <cstring>

#include "ip/ipv6.h"

namespace stackd::ip {

namespace {
constexpr uint32_t kMaxPayload = 65535;

// RFC 6724 §3.1 / RFC 4291 §2.7: 1 interface-local (::1), 2 link-local,
// 14 global; a multicast address carries its scope in its second byte.
int scope_of(const Ipv6Addr& a) {
  if (a.is_multicast()) return a.b[1] & 0x0f;
  if (a.is_loopback()) return 1;
  if (a.is_link_local()) return 2;
  return 14;
}

int common_prefix(const Ipv6Addr& a, const Ipv6Addr& b) {
  int n = 0;
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t x = a.b[i] ^ b.b[i];
    if (x != 0) return n + std::countl_zero(x);
    n += 8;
  }
  return n;
}
}  // namespace

// RFC 6724 §5, simplified: the candidates are the PREFERRED addresses of
// the outgoing interface (rule 5 by construction; we have no deprecated,
// home/care-of or temporary addresses, so rules 3, 4 and 7 never decide,
// and no policy table, so rule 6 neither). Applied: rule 1 (the
// destination itself), rule 2 (the smallest scope at least the
// destination's, else the largest), rule 8 (longest common prefix).
Ipv6Addr Ipv6Layer::select_source(const l2::Interface& out, const Ipv6Addr& dst) {
  const int ds = scope_of(dst);
  const l2::Ipv6IfAddr* best = nullptr;
  auto better = [&](const l2::Ipv6IfAddr& a, const l2::Ipv6IfAddr& b) {  // a better than b?
    const int sa = scope_of(a.addr), sb = scope_of(b.addr);
    if (sa != sb) {
      if (sa < sb) return sa >= ds;  // rule 2
      return sb < ds;
    }
    return common_prefix(a.addr, dst) > common_prefix(b.addr, dst);  // rule 8
  };
  for (const auto& a : out.addrs6) {
    if (a.state != l2::Ipv6AddrState::kPreferred) continue;
    if (a.addr == dst) return dst;  // rule 1
    if (best == nullptr || better(a, *best)) best = &a;
  }
  return best != nullptr ? best->addr : Ipv6Addr{};
}

Expected<Ipv6Route> Ipv6Layer::route(const Ipv6Addr& dst, const Ipv6Addr& src, uint16_t ifindex,
                                     Instant now) const {
  Ipv6Route r;
  if (dst.is_loopback() || is_local(dst)) {
    // Ours (or ::1): delivered without a device, on the interface that has
    // it (::1: the one asked for, else the first).
    for (const l2::Interface* i : ifaces_) {
      if (i == nullptr || !i->ipv6) continue;
      if (i->has_ipv6(dst)) {
        r.ifindex = i->index;
        break;
      }
      if (r.ifindex == 0) r.ifindex = i->index;
    }
    if (ifindex != 0 && dst.is_loopback() && interface(ifindex) != nullptr) r.ifindex = ifindex;
    if (r.ifindex == 0) return DropReason::kIp6NoRoute;
    r.next_hop = dst;
    r.src = src.is_unspecified() ? dst : src;
    r.mtu = kMaxPayload + wire::kIpv6HeaderLen;
    r.local = true;
    return r;
  }
  const l2::Interface* out = interface(ifindex);
  r.next_hop = dst;
  r.mtu = 0;
  if (dst.is_multicast() || dst.is_link_local()) {
    // Link scope: the interface asked for, else the one fe80::/64 names.
    if (out == nullptr) {
      const Route* fr = fib_.lookup(IpAddr(dst.is_multicast() ? *Ipv6Addr::parse("fe80::") : dst));
      if (fr != nullptr) out = interface(fr->ifindex);
    }
  } else if (const Route* fr = fib_.lookup(IpAddr(dst));
             fr != nullptr && (out == nullptr || fr->ifindex == out->index)) {
    out = interface(fr->ifindex);
    if (fr->gateway && fr->gateway->is_v6()) r.next_hop = fr->gateway->v6();
    r.mtu = fr->mtu;
  }
  if (out == nullptr || !out->ipv6) return DropReason::kIp6NoRoute;
  r.ifindex = out->index;
  // The link MTU, or the smaller one a router advertised (RFC 4861 §6.3.4).
  const uint32_t link_mtu = out->ipv6_mtu != 0 ? std::min(out->mtu, out->ipv6_mtu) : out->mtu;
  r.mtu = r.mtu == 0 ? link_mtu : std::min(r.mtu, link_mtu);
  if (auto p = pmtu_.lookup(dst, now)) r.mtu = std::min(r.mtu, *p);
  r.src = src.is_unspecified() ? select_source(*out, dst) : src;
  if (r.src.is_unspecified()) return DropReason::kIp6NoRoute;  // no usable address yet
  return r;
}

TxResult Ipv6Layer::out_drop(Counter c, DropReason r, uint32_t mtu) {
  counters_.inc(c);
  drops_.drop(r);
  return {r, mtu};
}

TxResult Ipv6Layer::output(buf::PacketBuf&& l4, const Ipv6TxParams& p, Instant now) {
  auto r = route(p.dst, p.src, p.ifindex, now);
  if (!r) {
    counters_.inc(Counter::Ip6OutRequests);
    return out_drop(Counter::Ip6OutNoRoutes, r.error());
  }
  return output(std::move(l4), p, *r, now);
}

void Ipv6Layer::send_one(l2::Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                         Instant now) {
  counters_.inc(Counter::Ip6OutOctets, pkt.size());
  if (next_hop.is_multicast()) counters_.inc(Counter::Ip6OutMcastPkts);
  l2_.output_ipv6(iface, next_hop, std::move(pkt), now);
}

TxResult Ipv6Layer::output(buf::PacketBuf&& l4, const Ipv6TxParams& p, const Ipv6Route& r,
                           Instant now) {
  counters_.inc(Counter::Ip6OutRequests);
  if (l4.size() > kMaxPayload) return out_drop(Counter::Ip6OutDiscards, DropReason::kIpFragTooBig);
  l2::Interface* iface = interface(r.ifindex);
  if (iface == nullptr) return out_drop(Counter::Ip6OutNoRoutes, DropReason::kIp6NoRoute);
  wire::Ipv6Repr h;
  h.src = p.src.is_unspecified() ? r.src : p.src;
  h.dst = p.dst;
  h.next_header = p.next_header;
  // RFC 4291 §2.7 / RFC 3493 §5.2: multicast hop limit 1 by default.
  h.hop_limit = p.hop_limit != 0 ? p.hop_limit : (p.dst.is_multicast() ? 1 : cfg_.default_ttl);
  h.traffic_class = p.traffic_class;
  h.payload_len = static_cast<uint16_t>(l4.size());
  const uint32_t total = static_cast<uint32_t>(wire::kIpv6HeaderLen) + l4.size();
  if (filter_ != nullptr && filter_->active()) {  // before fragmentation
    const filter::Verdict v =
        filter_->output(filter::packet_meta(6, h.src, h.dst, 0, r.ifindex, h.next_header, total, l4.bytes()), now);
    if (!v.accepted()) {  // as IPv4: a reject fails the local sender at once
      drops_.drop(v.reason);
      return {v.reason, 0};
    }
  }
  if (total > r.mtu && !r.local) {
    if (p.dont_frag) return out_drop(Counter::Ip6FragFails, DropReason::kIp6PacketTooBig, r.mtu);
    return fragment_and_send(*iface, r, std::move(l4), h, now);
  }
  buf::PacketBuf pkt = std::move(l4);
  if (!pkt.push_front(wire::kIpv6HeaderLen)) {
    buf::PacketBuf c = (r.local ? static_cast<buf::FramePool&>(heap_pool_) : pool_for(r.ifindex))
                           .alloc(total);
    if (!c) return out_drop(Counter::Ip6OutDiscards, DropReason::kNoBuffer);
    (void)c.append(total);
    std::memcpy(c.data() + wire::kIpv6HeaderLen, pkt.data(), pkt.size());
    pkt = std::move(c);
  }
  h.emit(pkt.bytes());
  if (r.local) {
    if (loopback_.size() >= kLoopbackQueueMax)
      return out_drop(Counter::Ip6OutDiscards, DropReason::kIpLoopbackFull);
    loopback_.push_back({std::move(pkt), r.ifindex});
    return TxResult::sent();
  }
  send_one(*iface, r.next_hop, std::move(pkt), now);
  return TxResult::sent();
}

TxResult Ipv6Layer::fragment_and_send(l2::Interface& iface, const Ipv6Route& r,
                                      buf::PacketBuf&& l4, const wire::Ipv6Repr& hdr,
                                      Instant now) {
  // RFC 8200 §4.5: every fragment but the last carries a multiple of 8
  // bytes; the path MTU is at least 1280, so there is always room.
  constexpr uint32_t kHdrs = wire::kIpv6HeaderLen + wire::kIpv6FragHeaderLen;
  const uint32_t per_frag = (std::max(r.mtu, wire::kIpv6MinMtu) - kHdrs) & ~7u;
  // The identification: a counter per layer (RFC 7739 asks for values
  // hard to predict per destination: a documented simplification).
  const uint32_t ident = next_ident_++;
  buf::FramePool& pool = pool_for(iface.index);
  const uint32_t total = l4.size();
  for (uint32_t off = 0; off < total; off += per_frag) {
    const uint32_t len = std::min(per_frag, total - off);
    buf::PacketBuf f = pool.alloc(kHdrs + len);
    if (!f) return out_drop(Counter::Ip6FragFails, DropReason::kNoBuffer);
    (void)f.append(kHdrs + len);
    wire::Ipv6Repr h = hdr;
    h.next_header = wire::ip_proto::kIpv6Frag;
    h.payload_len = static_cast<uint16_t>(wire::kIpv6FragHeaderLen + len);
    h.emit(f.bytes());
    wire::Ipv6FragRepr{hdr.next_header, static_cast<uint16_t>(off), off + len < total, ident}.emit(
        f.bytes().subspan(wire::kIpv6HeaderLen));
    std::memcpy(f.data() + kHdrs, l4.data() + off, len);
    counters_.inc(Counter::Ip6FragCreates);
    send_one(iface, r.next_hop, std::move(f), now);
  }
  counters_.inc(Counter::Ip6FragOKs);
  return TxResult::sent();
}

}  // namespace stackd::ip
