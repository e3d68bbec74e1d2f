#include "ip/icmp6.h"

#include <algorithm>
#include <cstring>

#include "ip/ipv6.h"
#include "wire/icmpv6.h"
#include "wire/ip_proto.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"

namespace stackd::ip {

namespace t = wire::icmpv6_type;

namespace {
// The upper-layer protocol and its bytes in a quoted IPv6 packet (it may
// be cut short: the payload length field is not trusted).
struct Quoted {
  wire::Ipv6View<const uint8_t> ip;
  uint8_t protocol;
  std::span<const uint8_t> l4;
};
std::optional<Quoted> parse_quote(std::span<const uint8_t> q) {
  if (q.size() < wire::kIpv6HeaderLen) return std::nullopt;
  wire::Ipv6View<const uint8_t> ip(q);
  if (ip.version() != 6) return std::nullopt;
  auto rest = q.subspan(wire::kIpv6HeaderLen);
  auto chain = wire::walk_ipv6_chain(ip.next_header(), rest);
  if (!chain || chain->non_first_fragment) return std::nullopt;
  return Quoted{ip, chain->upper_protocol, rest.subspan(chain->upper_offset)};
}

// A reply to a link-local source leaves by the interface it came in on
// (its scope); any other destination goes by route.
uint16_t scope_ifindex(const Ipv6Addr& peer, uint16_t ifindex) {
  return peer.is_link_local() || peer.is_multicast() ? ifindex : 0;
}

Counter in_counter(uint8_t type) {
  switch (type) {
    case t::kDestUnreachable: return Counter::Icmp6InDestUnreachs;
    case t::kPacketTooBig: return Counter::Icmp6InPktTooBigs;
    case t::kTimeExceeded: return Counter::Icmp6InTimeExcds;
    case t::kParamProblem: return Counter::Icmp6InParmProblems;
    case t::kEchoRequest: return Counter::Icmp6InEchos;
    case t::kEchoReply: return Counter::Icmp6InEchoReplies;
    case t::kRouterSolicit: return Counter::Icmp6InRouterSolicits;
    case t::kRouterAdvert: return Counter::Icmp6InRouterAdvertisements;
    case t::kNeighborSolicit: return Counter::Icmp6InNeighborSolicits;
    case t::kNeighborAdvert: return Counter::Icmp6InNeighborAdvertisements;
    case t::kRedirect: return Counter::Icmp6InRedirects;
    default: return Counter::kCount;
  }
}
}  // namespace

void Icmpv6::input(const Ipv6RxMeta& meta, buf::PacketBuf&& msg, Instant now) {
  counters_.inc(Counter::Icmp6InMsgs);
  auto view = wire::Icmpv6View<const uint8_t>::checked(msg.bytes());
  if (!view) {
    counters_.inc(Counter::Icmp6InErrors);
    drops_.drop(view.error());
    return;
  }
  // RFC 4443 §2.3 / §2.4(a): the checksum covers the pseudo-header.
  if (!view->verify_checksum(meta.src, meta.dst)) {
    counters_.inc(Counter::Icmp6InErrors);
    counters_.inc(Counter::Icmp6InCsumErrors);
    drops_.drop(DropReason::kIcmpBadChecksum);
    return;
  }
  const uint8_t type = view->type();
  if (Counter c = in_counter(type); c != Counter::kCount) counters_.inc(c);
  switch (type) {
    case t::kEchoRequest:
      return echo_reply(meta, std::move(msg), now);
    case t::kEchoReply:
      return;  // no ping sockets yet: consumed
    case t::kDestUnreachable:
    case t::kPacketTooBig:
    case t::kTimeExceeded:
    case t::kParamProblem:
      return dispatch_error(meta, type, view->code(), view->rest(), view->data(), now);
    case t::kMldQuery:
    case t::kMldReport:
    case t::kMldDone:
    case t::kMldv2Report:
      // Multicast Listener Discovery (RFC 3810): the listener's side is in
      // l2 beside ND (l2/mld.h), which checks hop limit and source.
      if (l2::Interface* i = ip_.interface(meta.ifindex))
        ip_.link().nd_input(*i, {meta.src, meta.dst, meta.hop_limit, meta.cast, msg.bytes()}, now);
      return;
    case t::kRouterSolicit:
    case t::kRouterAdvert:
    case t::kNeighborSolicit:
    case t::kNeighborAdvert:
    case t::kRedirect:
      // RFC 6980 §5: Neighbor Discovery never comes in fragments.
      if (meta.reassembled) {
        drops_.drop(DropReason::kNdpInvalid);
        return;
      }
      if (l2::Interface* i = ip_.interface(meta.ifindex))
        ip_.link().nd_input(*i, {meta.src, meta.dst, meta.hop_limit, meta.cast, msg.bytes()}, now);
      return;
    default:
      // §2.4(b): an unknown informational message is silently discarded;
      // an unknown error has no transport to go to here.
      drops_.drop(DropReason::kIcmpUnknownType);
      return;
  }
}

void Icmpv6::echo_reply(const Ipv6RxMeta& meta, buf::PacketBuf&& msg, Instant now) {
  // RFC 4443 §4.2: same identifier, sequence and data. To a multicast
  // request the reply comes from a unicast address of the interface (as
  // Linux, icmpv6 echo_ignore_multicast=0).
  Ipv6TxParams p;
  p.src = meta.dst_multicast ? Ipv6Addr{} : meta.dst;
  p.dst = meta.src;
  p.next_header = wire::ip_proto::kIcmpv6;
  p.traffic_class = meta.traffic_class;
  p.ifindex = scope_ifindex(meta.src, meta.ifindex);
  auto r = ip_.route(p.dst, p.src, p.ifindex, now);
  if (!r) {
    counters_.inc(Counter::Icmp6OutErrors);
    drops_.drop(r.error());
    return;
  }
  p.src = r->src;
  wire::Icmpv6View<uint8_t> v(msg.bytes());
  v.set_type(t::kEchoReply);
  v.fill_checksum(p.src, p.dst);
  counters_.inc(Counter::Icmp6OutMsgs);
  counters_.inc(Counter::Icmp6OutEchoReplies);
  if (!ip_.output(std::move(msg), p, *r, now).ok()) counters_.inc(Counter::Icmp6OutErrors);
}

void Icmpv6::dispatch_error(const Ipv6RxMeta& meta, uint8_t type, uint8_t code, uint32_t rest,
                            std::span<const uint8_t> invoking, Instant now) {
  auto q = parse_quote(invoking);
  if (!q || q->l4.size() < 8) {
    counters_.inc(Counter::Icmp6InErrors);
    drops_.drop(DropReason::kIcmpTruncated);
    return;
  }
  Icmp6ErrorIn e;
  e.type = type;
  e.code = code;
  e.info = rest;
  e.reporter = meta.src;
  e.src = q->ip.src();
  e.dst = q->ip.dst();
  e.protocol = q->protocol;
  e.l4 = q->l4;
  Ipv6ProtocolHandler* h = ip_.protocol_handler(e.protocol);
  if (type == t::kPacketTooBig) {
    // RFC 8201 §4: lower the path MTU of the quoted destination (>= 1280),
    // unless the transport validates the report first (TCP, RFC 8201 §5.2).
    if (h == nullptr || !h->validates_packet_too_big()) {
      uint32_t current = wire::kIpv6MinMtu * 64;
      if (auto r = ip_.route(e.dst, {}, 0, now)) current = r->mtu;
      ip_.pmtu().update(e.dst, rest, current, now);
    }
    e.info = std::max(rest, Pmtu6Cache::kMinMtu);
  }
  if (h != nullptr) h->error(e, now);
}

bool Icmpv6::error_allowed(const Ipv6RxMeta& about, bool multicast_ok) const {
  if (about.quote.size() < wire::kIpv6HeaderLen) return false;
  // §2.4(e.4): a source that does not identify a single node.
  if (about.src.is_unspecified() || about.src.is_multicast()) return false;
  // §2.4(e.2/e.3): multicast destination or link-layer multicast/broadcast.
  if (!multicast_ok && (about.dst_multicast || about.cast != l2::LinkCast::kUnicast)) return false;
  // §2.4(e.1): never about an ICMPv6 error message.
  auto q = parse_quote(about.quote);
  if (q && q->protocol == wire::ip_proto::kIcmpv6 &&
      (q->l4.empty() || t::is_error(q->l4[0])))
    return false;
  return true;
}

bool Icmpv6::send_param_problem(uint8_t code, uint32_t pointer, const Ipv6RxMeta& about,
                                Instant now, bool multicast_ok) {
  return send_error(t::kParamProblem, code, pointer, about, now, multicast_ok);
}
bool Icmpv6::send_dest_unreachable(uint8_t code, const Ipv6RxMeta& about, Instant now) {
  return send_error(t::kDestUnreachable, code, 0, about, now);
}
bool Icmpv6::send_time_exceeded(uint8_t code, const Ipv6RxMeta& about, Instant now) {
  return send_error(t::kTimeExceeded, code, 0, about, now);
}

bool Icmpv6::send_error(uint8_t type, uint8_t code, uint32_t rest, const Ipv6RxMeta& about,
                        Instant now, bool multicast_ok) {
  if (!error_allowed(about, multicast_ok)) return false;
  if (rate_.allow(about.src, now) != RateVerdict::kAllow) {
    counters_.inc(Counter::Icmp6OutRateLimitHost);
    drops_.drop(DropReason::kIcmpRateLimited);
    return false;
  }
  const size_t quote_len = std::min<size_t>(
      about.quote.size(), kMaxErrorLen - wire::kIpv6HeaderLen - wire::kIcmpv6HeaderLen);
  const uint32_t len = static_cast<uint32_t>(wire::kIcmpv6HeaderLen + quote_len);
  Ipv6TxParams p;
  // The source is the address the packet was sent to when it is ours.
  p.src = !about.dst.is_multicast() && ip_.is_local(about.dst) ? about.dst : Ipv6Addr{};
  p.dst = about.src;
  p.next_header = wire::ip_proto::kIcmpv6;
  p.ifindex = scope_ifindex(about.src, about.ifindex);
  auto r = ip_.route(p.dst, p.src, p.ifindex, now);
  buf::PacketBuf pkt;
  if (r) pkt = ip_.pool_for(r->ifindex).alloc(len);
  if (!r || !pkt) {
    counters_.inc(Counter::Icmp6OutErrors);
    drops_.drop(r ? DropReason::kNoBuffer : r.error());
    return false;
  }
  p.src = r->src;
  (void)pkt.append(len);
  wire::Icmpv6View<uint8_t> v(pkt.bytes());
  v.set_type(type);
  v.set_code(code);
  v.set_rest(rest);
  std::memcpy(pkt.data() + wire::kIcmpv6HeaderLen, about.quote.data(), quote_len);
  v.fill_checksum(p.src, p.dst);
  counters_.inc(Counter::Icmp6OutMsgs);
  switch (type) {
    case t::kDestUnreachable: counters_.inc(Counter::Icmp6OutDestUnreachs); break;
    case t::kPacketTooBig: counters_.inc(Counter::Icmp6OutPktTooBigs); break;
    case t::kTimeExceeded: counters_.inc(Counter::Icmp6OutTimeExcds); break;
    default: counters_.inc(Counter::Icmp6OutParmProblems); break;
  }
  if (!ip_.output(std::move(pkt), p, *r, now).ok()) {
    counters_.inc(Counter::Icmp6OutErrors);
    return false;
  }
  return true;
}

}  // namespace stackd::ip
