// TCP over IPv6 (RFC 9293 with RFC 8200 §8.1: the pseudo-header carries
// the IPv6 addresses; §8.3: the MSS is the MTU less 60) and the
// family-agnostic route and output that every sender of this folder uses.
// Demux, state machine and timers are the same code for both families:
// the TCB holds IpAddr, the tables key on AddrKey.
#include <algorithm>
#include <cerrno>  // errno values only: the socket API's vocabulary

#include "transport/tcp/tcp_layer.h"
#include "wire/icmpv6.h"
#include "wire/ip_proto.h"

namespace stackd::tcp {

uint16_t mss_for_mtu(uint32_t mtu, bool v6) {
  mtu = std::min<uint32_t>(mtu, 65535);
  if (!v6) return static_cast<uint16_t>(mtu > 40 ? mtu - 40 : 0);
  // RFC 8200 §5: every IPv6 link carries 1280 octets.
  return static_cast<uint16_t>(std::max<uint32_t>(mtu, 1280) - 60);
}

void TcpLayer::attach_ipv6(ip::Ipv6Layer& ip6) {
  ip6_ = &ip6;
  ip6.register_protocol(wire::ip_proto::kTcp, *this);
}

void TcpLayer::input(const ip::Ipv6RxMeta& meta, buf::PacketBuf&& pkt, Instant now) {
  // RFC 9293 §3.9.2 / RFC 1122 §4.2.3.10: TCP is unicast only.
  if (meta.dst_multicast) {
    drops_.drop(DropReason::kTcpNoSocket);
    return;
  }
  demux(IpAddr(meta.src), IpAddr(meta.dst), meta.ifindex, pkt, now);
}

// ICMPv6 errors (Linux tcp_v6_err): the quoted sequence number must lie in
// snd.una..snd_max (RFC 5927 §4.1) before anything is believed; a Packet
// Too Big then lowers the path MTU (RFC 8201 §5.2, which ICMPv6 left to us)
// and the MSS. Unreachable codes map as Linux icmpv6_err_convert does.
void TcpLayer::error(const ip::Icmp6ErrorIn& e, Instant now) {
  Tcb* tp = icmp_target(IpAddr(e.src), IpAddr(e.dst), e.l4);
  if (tp == nullptr) return;
  Tcb& t = *tp;
  namespace ty = wire::icmpv6_type;
  namespace un = wire::icmpv6_unreach;
  switch (e.type) {
    case ty::kPacketTooBig: {
      uint32_t current = 65535;
      if (auto r = ip6_->route(e.dst, {}, 0, now)) current = r->mtu;
      const auto mtu = ip6_->pmtu().update(e.dst, e.info, current, now);
      mtu_reduced(t, mtu ? *mtu : std::max(e.info, ip::Pmtu6Cache::kMinMtu), now);
      return;
    }
    case ty::kParamProblem: icmp_unreachable(t, EPROTO, true); return;
    case ty::kTimeExceeded: icmp_unreachable(t, EHOSTUNREACH, false); return;
    case ty::kDestUnreachable: break;
    default: return;
  }
  switch (e.code) {
    case un::kPort: icmp_unreachable(t, ECONNREFUSED, true); break;
    case un::kAdminProhibited:
    case un::kSourcePolicy:
    case un::kRejectRoute: icmp_unreachable(t, EACCES, true); break;
    default: icmp_unreachable(t, EHOSTUNREACH, false); break;  // no route, address, scope
  }
}

Expected<TcpRoute> TcpLayer::route_to(const IpAddr& dst, const IpAddr& src, Instant now) const {
  if (dst.is_v4()) {
    auto r = ip_.route(dst.v4(), src.is_v4() ? src.v4() : Ipv4Addr{});
    if (!r) return r.error();
    return TcpRoute{r->ifindex, IpAddr(r->src), r->mtu};
  }
  if (ip6_ == nullptr) return DropReason::kIp6NoRoute;
  auto r = ip6_->route(dst.v6(), src.is_v6() ? src.v6() : Ipv6Addr{}, 0, now);
  if (!r) return r.error();
  return TcpRoute{r->ifindex, IpAddr(r->src), r->mtu};
}

// Segments to our own address are built on the heap (ip pool_to): the
// local route's 64 KiB MSS does not fit a device frame.
buf::FramePool& TcpLayer::frame_pool(const IpAddr& dst, uint16_t ifindex) {
  if (dst.is_v4()) return ip_.pool_to(dst.v4(), ifindex);
  return ip6_ == nullptr ? ip_.pool_for(ifindex) : ip6_->pool_to(dst.v6(), ifindex);
}

ip::TxResult TcpLayer::ip_output(buf::PacketBuf&& l4, const IpAddr& src, const IpAddr& dst,
                                 uint16_t ifindex, const Tcb* t, Instant now) {
  if (dst.is_v4()) {
    ip::Ipv4TxParams p;
    p.src = src.v4();
    p.dst = dst.v4();
    p.protocol = wire::ip_proto::kTcp;
    p.df = t != nullptr;  // RFC 1191 path MTU discovery
    return ip_.output(std::move(l4), p, now);
  }
  if (ip6_ == nullptr) return ip::TxResult{DropReason::kIp6NoRoute, 0};
  ip::Ipv6TxParams p;
  p.src = src.v6();
  p.dst = dst.v6();
  p.next_header = wire::ip_proto::kTcp;
  if (t != nullptr) {
    p.hop_limit = t->hop_limit;
    p.traffic_class = t->tclass;
  }
  // RFC 8201 §5.2: TCP sizes its segments to the path MTU; never fragmented.
  p.dont_frag = true;
  // Link-local peers are reached on the interface the connection uses.
  if (dst.v6().is_link_local()) p.ifindex = ifindex;
  return ip6_->output(std::move(l4), p, now);
}

}  // namespace stackd::tcp
