#include "ip/icmp.h"

#include <algorithm>
#include <cstring>

#include "ip/ipv4.h"
#include "wire/icmpv4.h"
#include "wire/ip_proto.h"
#include "wire/ipv4.h"

namespace stackd::ip {

namespace t = wire::icmpv4_type;

bool Icmpv4::is_query_type(uint8_t type) {
  switch (type) {
    case t::kEchoReply:
    case t::kEchoRequest:
    case t::kRouterAdvert:
    case t::kRouterSolicit:
    case t::kTimestamp:
    case t::kTimestampReply:
    case 15: case 16:  // information request/reply (RFC 792, obsolete)
    case 17: case 18:  // address mask request/reply (RFC 950)
      return true;
    default:
      return false;
  }
}

void Icmpv4::input(const Ipv4RxMeta& meta, buf::PacketBuf&& msg, Instant now) {
  counters_.inc(Counter::IcmpInMsgs);
  auto view = wire::Icmpv4View<const uint8_t>::checked(msg.bytes());
  if (!view) {
    counters_.inc(Counter::IcmpInErrors);
    drops_.drop(view.error());
    return;
  }
  if (!view->verify_checksum()) {  // RFC 1122 §3.2.2: silently discard
    counters_.inc(Counter::IcmpInErrors);
    counters_.inc(Counter::IcmpInCsumErrors);
    drops_.drop(DropReason::kIcmpBadChecksum);
    return;
  }
  const uint8_t type = view->type(), code = view->code();
  switch (type) {
    case t::kEchoRequest:
      counters_.inc(Counter::IcmpInEchos);
      echo_reply(meta, std::move(msg), now);
      return;
    case t::kEchoReply:
      counters_.inc(Counter::IcmpInEchoReps);  // no ping sockets yet: consumed
      return;
    case t::kDestUnreachable:
      counters_.inc(Counter::IcmpInDestUnreachs);
      dispatch_error(meta, type, code, view->rest(), view->data(), now);
      return;
    case t::kTimeExceeded:
      counters_.inc(Counter::IcmpInTimeExcds);
      dispatch_error(meta, type, code, view->rest(), view->data(), now);
      return;
    case t::kParamProblem:
      counters_.inc(Counter::IcmpInParmProbs);
      dispatch_error(meta, type, code, view->rest(), view->data(), now);
      return;
    default:
      drops_.drop(DropReason::kIcmpUnknownType);  // RFC 1122 §3.2.2: silently discard
      return;
  }
}

void Icmpv4::echo_reply(const Ipv4RxMeta& meta, buf::PacketBuf&& msg, Instant now) {
  // Linux icmp_echo_ignore_broadcasts=1 (RFC 1122 §3.2.2.6 leaves it to us).
  if (meta.dst_broadcast || meta.dst_multicast || meta.cast != l2::LinkCast::kUnicast) {
    drops_.drop(DropReason::kIcmpEchoToBroadcast);
    return;
  }
  // RFC 1122 §3.2.2.6: same identifier, sequence and data; reversed
  // addresses. The request becomes the reply in place (zero copy).
  wire::Icmpv4View<uint8_t> v(msg.bytes());
  uint16_t old_word = load_be16(msg.data());
  v.set_type(t::kEchoReply);
  v.set_checksum(wire::checksum_update16(v.checksum(), old_word, load_be16(msg.data())));
  Ipv4TxParams p;
  p.src = meta.dst;
  p.dst = meta.src;
  p.protocol = wire::ip_proto::kIcmp;
  p.tos = meta.tos;
  counters_.inc(Counter::IcmpOutMsgs);
  counters_.inc(Counter::IcmpOutEchoReps);  // echo replies are not rate limited (Linux)
  if (!ip_.output(std::move(msg), p, now).ok()) counters_.inc(Counter::IcmpOutErrors);
}

void Icmpv4::dispatch_error(const Ipv4RxMeta& meta, uint8_t type, uint8_t code, uint32_t rest,
                            std::span<const uint8_t> invoking, Instant now) {
  // RFC 1122 §3.2.2: the quote is the IP header + at least 8 bytes.
  if (invoking.size() < wire::kIpv4MinHeaderLen) {
    counters_.inc(Counter::IcmpInErrors);
    drops_.drop(DropReason::kIcmpTruncated);
    return;
  }
  wire::Ipv4View<const uint8_t> q(invoking);
  if (q.version() != 4 || q.ihl() < 5 || q.header_len() + 8 > invoking.size()) {
    counters_.inc(Counter::IcmpInErrors);
    drops_.drop(DropReason::kIcmpTruncated);
    return;
  }
  IcmpErrorIn e;
  e.type = type;
  e.code = code;
  e.info = type == t::kParamProblem ? rest >> 24 : (rest & 0xffff);
  e.reporter = meta.src;
  e.src = q.src();
  e.dst = q.dst();
  e.protocol = q.protocol();
  e.l4 = invoking.subspan(q.header_len());
  if (Ipv4ProtocolHandler* h = ip_.protocol_handler(e.protocol)) h->error(e, now);
}

bool Icmpv4::error_allowed(const Ipv4RxMeta& about) const {
  // RFC 1122 §3.2.2: never about a broadcast/multicast datagram (IP or link).
  if (about.is_broadcast_or_multicast()) return false;
  // ... nor one whose source is not a unicast host address.
  Ipv4Addr s = about.src;
  if (s.is_unspecified() || s.is_broadcast() || s.is_multicast() || s.is_class_e() ||
      s.is_loopback())
    return false;
  if (ip_.is_subnet_broadcast(s)) return false;
  if (about.quote.size() < wire::kIpv4MinHeaderLen) return false;
  wire::Ipv4View<const uint8_t> q(about.quote);
  // ... nor a non-initial fragment.
  if (q.frag_offset() != 0) return false;
  // ... nor an ICMP error message.
  if (q.protocol() == wire::ip_proto::kIcmp) {
    if (about.quote.size() <= q.header_len()) return false;
    if (!is_query_type(about.quote[q.header_len()])) return false;
  }
  return true;
}

bool Icmpv4::send_error(uint8_t type, uint8_t code, uint32_t rest, const Ipv4RxMeta& about,
                        Instant now) {
  if (!error_allowed(about)) return false;
  switch (rate_.allow(about.src, now)) {
    case RateVerdict::kAllow:
      break;
    case RateVerdict::kGlobalLimited:
      counters_.inc(Counter::IcmpOutRateLimitGlobal);
      drops_.drop(DropReason::kIcmpRateLimited);
      return false;
    case RateVerdict::kHostLimited:
      counters_.inc(Counter::IcmpOutRateLimitHost);
      drops_.drop(DropReason::kIcmpRateLimited);
      return false;
  }
  const size_t quote_len = std::min<size_t>(
      about.quote.size(), kMaxErrorLen - wire::kIpv4MinHeaderLen - wire::kIcmpv4HeaderLen);
  const uint32_t len = static_cast<uint32_t>(wire::kIcmpv4HeaderLen + quote_len);
  buf::PacketBuf pkt = ip_.pool_for(about.ifindex).alloc(len);
  if (!pkt) {
    counters_.inc(Counter::IcmpOutErrors);
    drops_.drop(DropReason::kNoBuffer);
    return false;
  }
  (void)pkt.append(len);
  wire::Icmpv4View<uint8_t> v(pkt.bytes());
  v.set_type(type);
  v.set_code(code);
  v.set_rest(rest);
  std::memcpy(pkt.data() + wire::kIcmpv4HeaderLen, about.quote.data(), quote_len);
  v.fill_checksum();

  Ipv4TxParams p;
  // The source is the address the datagram was sent to when it is ours
  // (RFC 1812 §4.3.2.4 lets a host do so); else by route.
  p.src = ip_.is_local(about.dst) ? about.dst : Ipv4Addr{};
  p.dst = about.src;
  p.protocol = wire::ip_proto::kIcmp;
  p.tos = 0xc0;  // IPTOS_PREC_INTERNETCONTROL, as Linux
  counters_.inc(Counter::IcmpOutMsgs);
  if (type == t::kDestUnreachable) counters_.inc(Counter::IcmpOutDestUnreachs);
  if (type == t::kTimeExceeded) counters_.inc(Counter::IcmpOutTimeExcds);
  if (type == t::kParamProblem) counters_.inc(Counter::IcmpOutParmProbs);
  if (!ip_.output(std::move(pkt), p, now).ok()) {
    counters_.inc(Counter::IcmpOutErrors);
    return false;
  }
  return true;
}

}  // namespace stackd::ip
