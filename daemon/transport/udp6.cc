// UDP over IPv6 (RFC 768 with RFC 8200 §8.1): the pseudo-header carries
// the IPv6 addresses and a zero checksum is never valid (dropped as
// kUdpZeroChecksumV6, Udp6InErrors). Demux, queues and the socket API are
// udp.cc's; the counters are the Udp6* ones of /proc/net/snmp6.
#include <cerrno>  // errno values only: the socket API's vocabulary

#include "transport/udp.h"
#include "wire/icmpv6.h"
#include "wire/ip_proto.h"
#include "wire/udp.h"

namespace stackd::transport {

void UdpLayer::attach_ipv6(ip::Ipv6Layer& ip6) {
  ip6_ = &ip6;
  ip6.register_protocol(wire::ip_proto::kUdp, *this);
}

int UdpLayer::send6(UdpSocket& s, const IpAddr& src, const Ipv6Addr& dst, uint16_t port,
                    buf::PacketBuf&& pb, std::span<const uint8_t> bytes, Instant now) {
  const uint32_t len = pb ? pb.size() : static_cast<uint32_t>(bytes.size());
  Ipv6Addr src_hint = s.local_addr_.v6();
  if (src.is_v6() && !src.v6().is_multicast() && ip6_->is_local(src.v6())) src_hint = src.v6();
  if (src_hint.is_multicast()) src_hint = {};
  auto route = ip6_->route(dst, src_hint, 0, now);
  if (!route) {
    counters_.inc(Counter::Ip6OutNoRoutes);
    drops_.drop(route.error());
    return -ENETUNREACH;
  }
  const uint32_t dlen = static_cast<uint32_t>(wire::kUdpHeaderLen) + len;
  const bool fits = wire::kIpv6HeaderLen + dlen <= route->mtu && !route->local;
  buf::PacketBuf pkt = datagram_buffer(std::move(pb), bytes, len,
                                       fits ? ip6_->pool_for(route->ifindex) : ip6_->heap_pool());
  if (!pkt) {
    counters_.inc(Counter::Udp6SndbufErrors);
    drops_.drop(DropReason::kNoBuffer);
    return -ENOBUFS;
  }
  // RFC 8200 §8.1: pseudo-header with the IPv6 addresses; 0 sent as 0xffff.
  wire::UdpRepr{s.local_port_, port, static_cast<uint16_t>(len)}.emit(pkt.bytes(), route->src,
                                                                       dst);
  ip::Ipv6TxParams p;
  p.src = route->src;
  p.dst = dst;
  p.next_header = wire::ip_proto::kUdp;
  auto r = ip6_->output(std::move(pkt), p, *route, now);
  if (!r.ok()) {
    if (r.reason == DropReason::kNoBuffer) counters_.inc(Counter::Udp6SndbufErrors);
    return r.reason == DropReason::kNoBuffer ? -ENOBUFS : -ENETUNREACH;
  }
  counters_.inc(Counter::Udp6OutDatagrams);
  return static_cast<int>(len);
}

void UdpLayer::input(const ip::Ipv6RxMeta& meta, buf::PacketBuf&& pkt, Instant now) {
  const IpAddr src(meta.src), dst(meta.dst);
  auto u = wire::UdpRepr::parse(pkt.bytes(), src, dst);
  if (!u) {
    if (u.error() == DropReason::kUdpBadChecksum) counters_.inc(Counter::Udp6InCsumErrors);
    counters_.inc(Counter::Udp6InErrors);
    drops_.drop(u.error());
    return;
  }
  UdpSocket* s = receiver(dst, u->dst_port, src, u->src_port);
  if (s == nullptr) {
    counters_.inc(Counter::Udp6NoPorts);
    drops_.drop(DropReason::kUdpNoPort);
    // RFC 4443 §3.1: port unreachable (refused for multicast, §2.4(e)).
    ip6_->icmp().send_dest_unreachable(wire::icmpv6_unreach::kPort, meta, now);
    return;
  }
  pkt.trim(static_cast<uint32_t>(u->buffer_len()));
  pkt.pull_front(wire::kUdpHeaderLen);
  if (!s->enqueue(pkt, src, u->src_port, dst, meta.ifindex)) {
    counters_.inc(Counter::Udp6RcvbufErrors);
    counters_.inc(Counter::Udp6InErrors);
    drops_.drop(DropReason::kUdpRcvbufFull);
    return;
  }
  counters_.inc(Counter::Udp6InDatagrams);
}

void UdpLayer::error(const ip::Icmp6ErrorIn& e, Instant) {
  if (e.l4.size() < wire::kUdpHeaderLen) return;
  const uint16_t sport = load_be16(e.l4.data()), dport = load_be16(e.l4.data() + 2);
  UdpSocket* sp = receiver(IpAddr(e.src), sport, IpAddr(e.dst), dport);
  if (sp == nullptr) return;
  UdpSocket& s = *sp;
  if (!s.connected_ || s.remote_port_ != dport || !(s.remote_addr_ == IpAddr(e.dst))) return;
  // Linux icmpv6_err_convert: the fatal codes and their errno; packet too
  // big only lowered the path MTU (ICMPv6 did that).
  if (e.type == wire::icmpv6_type::kParamProblem) {
    s.error_ = EPROTO;
    return;
  }
  if (e.type != wire::icmpv6_type::kDestUnreachable) return;
  switch (e.code) {
    case wire::icmpv6_unreach::kAdminProhibited: s.error_ = EACCES; break;
    case wire::icmpv6_unreach::kBeyondScope: s.error_ = EHOSTUNREACH; break;
    case wire::icmpv6_unreach::kPort: s.error_ = ECONNREFUSED; break;
    case wire::icmpv6_unreach::kSourcePolicy: s.error_ = EACCES; break;
    case wire::icmpv6_unreach::kRejectRoute: s.error_ = EACCES; break;
    default: break;  // no route, address unreachable: soft errors
  }
}

}  // namespace stackd::transport
