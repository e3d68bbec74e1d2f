// IPv4 input: the checks of RFC 1122 §3.2.1 in order, each drop counted
// under a typed reason and its nstat counter, then reassembly, then
// protocol demultiplexing.
#include <algorithm>

#include "ip/ipv4.h"
#include "wire/icmpv4.h"

namespace stackd::ip {

namespace {
// RFC 1112 §6.4: the Ethernet group address of an IPv4 multicast address.
MacAddr multicast_mac(Ipv4Addr g) {
  return {{0x01, 0x00, 0x5e, static_cast<uint8_t>(g.octet(1) & 0x7f), g.octet(2), g.octet(3)}};
}
constexpr Ipv4Addr kAllHosts = Ipv4Addr::from_octets(224, 0, 0, 1);  // RFC 1112 §4
}  // namespace

void Ipv4Layer::ipv6_input(l2::Interface&, buf::PacketBuf&&, l2::LinkCast, Instant) {
  drops_.drop(DropReason::kIp6NotSupported);
}

bool Ipv4Layer::accept_destination(const l2::Interface& iface, Ipv4Addr dst,
                                   Ipv4RxMeta& meta) const {
  if (iface.has_ipv4(dst)) return true;  // the common case first
  if (dst.is_broadcast() || iface.is_ipv4_subnet_broadcast(dst)) {
    meta.dst_broadcast = true;
    return true;
  }
  if (dst.is_multicast()) {
    meta.dst_multicast = true;
    return dst == kAllHosts || iface.joined(multicast_mac(dst));
  }
  // RFC 1122 §3.3.4.2 weak host model: an address of another interface.
  return is_local(dst);
}

void Ipv4Layer::ipv4_input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast,
                           Instant now) {
  counters_.inc(Counter::IpInReceives);
  counters_.inc(Counter::IpExtInOctets, pkt.size());

  // RFC 1122 §3.2.1.1-§3.2.1.2: version, IHL, total length, checksum.
  auto parsed = wire::Ipv4Repr::parse(pkt.bytes());
  if (!parsed) {
    DropReason r = parsed.error();
    if (r == DropReason::kIpTruncated || r == DropReason::kIpBadTotalLength)
      counters_.inc(Counter::IpExtInTruncatedPkts);
    else
      counters_.inc(Counter::IpInHdrErrors);
    if (r == DropReason::kIpBadChecksum) counters_.inc(Counter::IpExtInCsumErrors);
    drops_.drop(r);
    return;
  }
  const wire::Ipv4Repr& h = *parsed;
  const wire::Ipv4View<const uint8_t> view(pkt.bytes());
  const uint32_t hlen = static_cast<uint32_t>(view.header_len());
  // Ethernet pads short frames: keep exactly total length bytes.
  pkt.trim(view.total_len());

  // RFC 1122 §3.2.1.3: a source that is not a host address is discarded.
  if (h.src.is_broadcast() || h.src.is_multicast() || h.src.is_class_e() ||
      h.src.is_loopback() || iface.is_ipv4_subnet_broadcast(h.src)) {
    counters_.inc(Counter::IpInAddrErrors);
    drops_.drop(DropReason::kIpBadSource);
    return;
  }
  Ipv4RxMeta meta;
  meta.src = h.src;
  meta.dst = h.dst;
  meta.protocol = h.protocol;
  meta.ttl = h.ttl;  // RFC 1122 §3.2.1.7: no TTL check on delivery to ourselves
  meta.tos = static_cast<uint8_t>(h.dscp << 2 | h.ecn);
  meta.ifindex = iface.index;
  meta.cast = cast;
  if (!accept_destination(iface, h.dst, meta)) {
    counters_.inc(Counter::IpInAddrErrors);  // not a router: no forwarding
    drops_.drop(DropReason::kIpNotForUs);
    return;
  }
  // RFC 1122 §3.3.6: a datagram that came as a link-layer broadcast must
  // be for an IP broadcast or multicast address.
  if (cast != l2::LinkCast::kUnicast && !meta.dst_broadcast && !meta.dst_multicast) {
    counters_.inc(Counter::IpInAddrErrors);
    drops_.drop(DropReason::kIpMartianDest);
    return;
  }
  if (meta.dst_broadcast) counters_.inc(Counter::IpExtInBcastPkts);
  if (meta.dst_multicast) counters_.inc(Counter::IpExtInMcastPkts);

  if (h.more_frags || h.frag_offset != 0) {
    FragmentIn f;
    f.src = h.src;
    f.dst = h.dst;
    f.id = h.ident;
    f.protocol = h.protocol;
    f.offset = h.frag_offset;
    f.more = h.more_frags;
    f.ifindex = iface.index;
    f.header = view.header();
    f.payload = pkt.bytes().subspan(hlen);
    auto whole = reasm_.add(f, now);
    pkt.reset();  // the reassembler copied what it needed
    if (!whole) return;
    meta.reassembled = true;
    meta.ifindex = whole->ifindex;
    meta.quote = whole->first.span();
    deliver(meta, std::move(whole->payload), now);
    return;
  }
  // The quote for an ICMP error: header + data, up to 576 bytes of error.
  meta.quote = pkt.bytes().first(std::min<uint32_t>(
      pkt.size(), Icmpv4::kMaxErrorLen - wire::kIpv4MinHeaderLen - wire::kIcmpv4HeaderLen));
  pkt.pull_front(hlen);
  deliver(meta, std::move(pkt), now);
}

// The firewall's input hook: after the RFC 1122 checks and reassembly,
// before demux. PacketMeta comes from the header fields already parsed.
bool Ipv4Layer::filter_input(const Ipv4RxMeta& meta, const buf::PacketBuf& payload,
                             Instant now) {
  filter::PacketMeta m;
  m.src = meta.src;
  m.dst = meta.dst;
  m.iif = meta.ifindex;
  m.proto = meta.protocol;
  const uint32_t hlen = meta.quote.empty() ? wire::kIpv4MinHeaderLen : (meta.quote[0] & 0x0fu) * 4;
  m.len = hlen + payload.size();
  filter::fill_l4(m, payload.bytes());
  const filter::Verdict v = filter_->input(m, now);
  if (v.accepted()) return true;
  drops_.drop(v.reason);
  if (v.kind == filter::Verdict::Kind::kRejectTcpRst && tcp_reject_ != nullptr) {
    tcp_reject_->send_reset(meta, payload.bytes(), now);
  } else if (v.kind != filter::Verdict::Kind::kDrop) {
    // RFC 792 port unreachable, also for TCP while no TcpRejectHandler is
    // registered (send_error keeps the RFC 1122 §3.2.2 rules).
    icmp_.send_dest_unreachable(wire::icmpv4_unreach::kPort, meta, now);
  }
  return false;
}

void Ipv4Layer::deliver(const Ipv4RxMeta& meta, buf::PacketBuf&& payload, Instant now) {
  if (filter_ != nullptr && filter_->active() && !filter_input(meta, payload, now)) return;
  // raw(7): matching raw sockets get a copy, header included; the
  // protocol still gets the datagram (Linux ip_local_deliver_finish).
  const bool raw = raw_ != nullptr && !meta.quote.empty() &&
                   raw_->deliver(meta, meta.quote.first(std::min<size_t>(meta.quote.size(), (meta.quote[0] & 0x0fu) * 4u)),
                                 payload.bytes(), now);
  Ipv4ProtocolHandler* h = protos_[meta.protocol];
  if (h == nullptr && raw) {
    counters_.inc(Counter::IpInDelivers);  // a raw socket took it: no protocol unreachable
    return;
  }
  if (h == nullptr) {
    counters_.inc(Counter::IpInUnknownProtos);
    drops_.drop(DropReason::kIpUnknownProtocol);
    // RFC 1122 §3.2.2.1: protocol unreachable (send_error refuses it for
    // broadcast/multicast, §3.2.2).
    icmp_.send_dest_unreachable(wire::icmpv4_unreach::kProtocol, meta, now);
    return;
  }
  counters_.inc(Counter::IpInDelivers);
  h->input(meta, std::move(payload), now);
}

}  // namespace stackd::ip
