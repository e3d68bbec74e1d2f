// IPv4 output: route lookup and source selection, header construction,
// fragmentation to the path MTU (RFC 791 §3.2, RFC 1122 §3.3.5), local
// delivery without a device, then l2::L2Output.
#include <algorithm>
#include <cstring>

#include "ip/ipv4.h"
#include "wire/icmpv4.h"

namespace stackd::ip {

namespace {
constexpr uint32_t kMaxDatagram = 65535;
}

Expected<Ipv4Route> Ipv4Layer::route(Ipv4Addr dst, Ipv4Addr src, uint16_t ifindex) const {
  Ipv4Route r;
  // Our own address: delivered locally (DESIGN.md: traffic between two
  // stack sockets never touches the NIC).
  for (const l2::Interface* i : ifaces_) {
    if (i != nullptr && i->has_ipv4(dst)) {
      r.ifindex = i->index;
      r.next_hop = dst;
      r.src = src.is_unspecified() ? dst : src;
      r.mtu = kMaxDatagram;
      r.local = true;
      return r;
    }
  }
  const l2::Interface* out = interface(ifindex);
  const Route* fr = fib_.lookup_v4(dst);
  if (fr != nullptr && (out == nullptr || fr->ifindex == out->index)) {
    out = interface(fr->ifindex);
    r.next_hop = fr->gateway ? fr->gateway->v4() : dst;
    r.mtu = fr->mtu;
  } else {
    r.next_hop = dst;  // on-link through the interface asked for
  }
  if (out == nullptr && (dst.is_broadcast() || dst.is_multicast())) {
    // Limited broadcast / multicast with neither a route nor an interface:
    // the first interface, as a host with one link expects.
    for (const l2::Interface* i : ifaces_)
      if (i != nullptr) {
        out = i;
        break;
      }
  }
  if (out == nullptr) return DropReason::kIpNoRoute;
  r.ifindex = out->index;
  if (dst.is_broadcast() || dst.is_multicast()) {
    r.next_hop = dst;  // L2 maps these to group addresses directly
  } else if (out->is_ipv4_subnet_broadcast(dst)) {
    r.next_hop = Ipv4Addr::broadcast();  // RFC 1122 §3.3.6: link broadcast
  }
  r.mtu = r.mtu == 0 ? out->mtu : std::min(r.mtu, out->mtu);
  r.src = src.is_unspecified() ? out->primary_ipv4() : src;
  if (r.src.is_unspecified()) return DropReason::kIpNoRoute;  // no address to send from
  return r;
}

TxResult Ipv4Layer::output(buf::PacketBuf&& l4, const Ipv4TxParams& p, Instant now) {
  auto r = route(p.dst, p.src, p.ifindex);
  if (!r) {
    counters_.inc(Counter::IpOutRequests);
    counters_.inc(Counter::IpOutNoRoutes);
    drops_.drop(r.error());
    return {r.error(), 0};
  }
  return output(std::move(l4), p, *r, now);
}

void Ipv4Layer::send_one(l2::Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt,
                         Instant now) {
  counters_.inc(Counter::IpExtOutOctets, pkt.size());
  if (next_hop.is_broadcast()) counters_.inc(Counter::IpExtOutBcastPkts);
  if (next_hop.is_multicast()) counters_.inc(Counter::IpExtOutMcastPkts);
  l2_.output_ipv4(iface, next_hop, std::move(pkt), now);
}

TxResult Ipv4Layer::output(buf::PacketBuf&& l4, const Ipv4TxParams& p, const Ipv4Route& r,
                           Instant now) {
  counters_.inc(Counter::IpOutRequests);
  const uint32_t total = wire::kIpv4MinHeaderLen + l4.size();
  if (total > kMaxDatagram) {
    counters_.inc(Counter::IpOutDiscards);
    drops_.drop(DropReason::kIpFragTooBig);
    return {DropReason::kIpFragTooBig, 0};
  }
  l2::Interface* iface = interface(r.ifindex);
  if (iface == nullptr) {
    counters_.inc(Counter::IpOutNoRoutes);
    drops_.drop(DropReason::kIpNoRoute);
    return {DropReason::kIpNoRoute, 0};
  }
  wire::Ipv4Repr h;
  h.src = p.src.is_unspecified() ? r.src : p.src;
  h.dst = p.dst;
  h.protocol = p.protocol;
  h.ttl = p.ttl != 0 ? p.ttl : (p.dst.is_multicast() ? 1 : cfg_.default_ttl);  // RFC 1112 §6.1
  h.dscp = p.tos >> 2;
  h.ecn = p.tos & 3;
  h.dont_frag = p.df;
  h.ident = next_ident_++;
  h.payload_len = static_cast<uint16_t>(l4.size());

  if (filter_ != nullptr && filter_->active()) {  // before fragmentation
    const filter::Verdict v = filter_output(h, r.ifindex, l4, now);
    if (!v.accepted()) {
      // A reject on output fails the local sender at once (its TxResult),
      // as Linux's REJECT in OUTPUT makes send() fail; nothing is sent.
      drops_.drop(v.reason);
      return {v.reason, 0};
    }
  }

  if (total > r.mtu && !r.local) {
    if (p.df) {  // RFC 1191: the sender learns the MTU from the result
      counters_.inc(Counter::IpFragFails);
      drops_.drop(DropReason::kIpFragNeededDf);
      return {DropReason::kIpFragNeededDf, r.mtu};
    }
    return fragment_and_send(*iface, r, std::move(l4), h, r.mtu, now);
  }

  buf::PacketBuf pkt = std::move(l4);
  if (!pkt.push_front(wire::kIpv4MinHeaderLen)) {
    // Not enough headroom: copy behind a fresh header.
    buf::PacketBuf c = (r.local ? static_cast<buf::FramePool&>(heap_pool_) : pool_for(r.ifindex))
                           .alloc(total);
    if (!c) {
      counters_.inc(Counter::IpOutDiscards);
      drops_.drop(DropReason::kNoBuffer);
      return {DropReason::kNoBuffer, 0};
    }
    (void)c.append(total);
    std::memcpy(c.data() + wire::kIpv4MinHeaderLen, pkt.data(), pkt.size());
    pkt = std::move(c);
  }
  h.emit(pkt.bytes());
  if (r.local) {
    if (loopback_.size() >= kLoopbackQueueMax) {
      counters_.inc(Counter::IpOutDiscards);
      drops_.drop(DropReason::kIpLoopbackFull);
      return {DropReason::kIpLoopbackFull, 0};
    }
    loopback_.push_back({std::move(pkt), r.ifindex});
    return TxResult::sent();
  }
  send_one(*iface, r.next_hop, std::move(pkt), now);
  return TxResult::sent();
}

TxResult Ipv4Layer::output_hdrincl(buf::PacketBuf&& datagram, const Ipv4Route& r, Instant now) {
  counters_.inc(Counter::IpOutRequests);
  l2::Interface* iface = interface(r.ifindex);
  auto h = wire::Ipv4Repr::parse(datagram.bytes(), wire::ChecksumCheck::kSkip);
  if (iface == nullptr || !h) {
    const DropReason why = iface == nullptr ? DropReason::kIpNoRoute : h.error();
    counters_.inc(iface == nullptr ? Counter::IpOutNoRoutes : Counter::IpOutDiscards);
    drops_.drop(why);
    return {why, 0};
  }
  if (filter_ != nullptr && filter_->active()) {
    const uint32_t hlen = (datagram.data()[0] & 0x0fu) * 4u;
    buf::PacketBuf l4 = std::move(datagram);
    l4.pull_front(hlen);
    const filter::Verdict v = filter_output(*h, r.ifindex, l4, now);
    if (!v.accepted()) {
      drops_.drop(v.reason);
      return {v.reason, 0};
    }
    (void)l4.push_front(hlen);
    datagram = std::move(l4);
  }
  if (r.local) {
    if (loopback_.size() >= kLoopbackQueueMax) {
      counters_.inc(Counter::IpOutDiscards);
      drops_.drop(DropReason::kIpLoopbackFull);
      return {DropReason::kIpLoopbackFull, 0};
    }
    loopback_.push_back({std::move(datagram), r.ifindex});
    return TxResult::sent();
  }
  send_one(*iface, r.next_hop, std::move(datagram), now);
  return TxResult::sent();
}

filter::Verdict Ipv4Layer::filter_output(const wire::Ipv4Repr& h, uint16_t oif,
                                         const buf::PacketBuf& l4, Instant now) {
  filter::PacketMeta m;
  m.src = h.src;
  m.dst = h.dst;
  m.oif = oif;
  m.proto = h.protocol;
  m.len = wire::kIpv4MinHeaderLen + l4.size();
  filter::fill_l4(m, l4.bytes());
  return filter_->output(m, now);
}

void Ipv4Layer::link_failure(l2::Interface& iface, std::span<buf::PacketBuf> pkts, Instant now) {
  for (buf::PacketBuf& p : pkts) {
    auto h = wire::Ipv4Repr::parse(p.bytes(), wire::ChecksumCheck::kSkip);
    if (!h) continue;
    Ipv4RxMeta m;
    m.src = h->src;
    m.dst = h->dst;
    m.protocol = h->protocol;
    m.ifindex = iface.index;
    m.quote = p.bytes().first(std::min<uint32_t>(
        p.size(), Icmpv4::kMaxErrorLen - wire::kIpv4MinHeaderLen - wire::kIcmpv4HeaderLen));
    icmp_.send_dest_unreachable(wire::icmpv4_unreach::kHost, m, now);
  }
}

TxResult Ipv4Layer::fragment_and_send(l2::Interface& iface, const Ipv4Route& r,
                                      buf::PacketBuf&& l4, const wire::Ipv4Repr& hdr,
                                      uint32_t mtu, Instant now) {
  // RFC 791 §3.2: every fragment but the last carries a multiple of 8 bytes.
  const uint32_t per_frag = (mtu - wire::kIpv4MinHeaderLen) & ~7u;
  if (per_frag == 0) {
    counters_.inc(Counter::IpFragFails);
    drops_.drop(DropReason::kIpFragBad);
    return {DropReason::kIpFragBad, mtu};
  }
  buf::FramePool& pool = pool_for(iface.index);
  const uint32_t total = l4.size();
  for (uint32_t off = 0; off < total; off += per_frag) {
    const uint32_t len = std::min(per_frag, total - off);
    buf::PacketBuf f = pool.alloc(wire::kIpv4MinHeaderLen + len);
    if (!f) {
      counters_.inc(Counter::IpFragFails);
      drops_.drop(DropReason::kNoBuffer);
      return {DropReason::kNoBuffer, 0};
    }
    (void)f.append(wire::kIpv4MinHeaderLen + len);
    wire::Ipv4Repr h = hdr;
    h.frag_offset = static_cast<uint16_t>(off);
    h.more_frags = off + len < total;
    h.payload_len = static_cast<uint16_t>(len);
    h.emit(f.bytes());
    std::memcpy(f.data() + wire::kIpv4MinHeaderLen, l4.data() + off, len);
    counters_.inc(Counter::IpFragCreates);
    send_one(iface, r.next_hop, std::move(f), now);
  }
  counters_.inc(Counter::IpFragOKs);
  return TxResult::sent();
}

}  // namespace stackd::ip
