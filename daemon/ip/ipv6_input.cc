// IPv6 input (RFC 8200): header checks, source and destination rules
// (RFC 4291), the extension-header chain (bounded walk in wire/ipv6_ext.h,
// its checks in ipv6_ext_input.cc), reassembly (RFC 8200 §4.5, RFC 5722,
// atomic fragments per RFC 6946), then demux by upper-layer protocol.
// Every drop has a typed reason and its /proc/net/snmp6 counter.
#include <algorithm>
#include <cstring>

#include "ip/ipv6.h"
#include "l2/ipv6_addr.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"

namespace stackd::ip {

namespace {
constexpr uint32_t kQuoteMax =
    Icmpv6::kMaxErrorLen - wire::kIpv6HeaderLen - wire::kIcmpv6HeaderLen;
}

void Ipv6Layer::ipv6_input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast,
                           Instant now) {
  input(iface, std::move(pkt), cast, false, now);
}

bool Ipv6Layer::accept_destination(const l2::Interface& iface, const Ipv6Addr& dst, bool looped,
                                   Ipv6RxMeta& meta, bool& tentative) const {
  if (dst.is_multicast()) {
    meta.dst_multicast = true;
    return l2::ipv6_group_member(iface, dst);
  }
  if (const l2::Ipv6IfAddr* a = iface.find_ipv6(dst)) {
    // RFC 4862 §5.4: a tentative address receives only ND (for DAD).
    tentative = a->state == l2::Ipv6AddrState::kTentative;
    return a->state != l2::Ipv6AddrState::kDuplicate;
  }
  if (dst.is_loopback()) return looped;
  return is_local(dst);  // RFC 1122 §3.3.4.2 weak host model, as Linux
}

void Ipv6Layer::input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast, bool looped,
                      Instant now) {
  counters_.inc(Counter::Ip6InReceives);
  counters_.inc(Counter::Ip6InOctets, pkt.size());
  if (!iface.ipv6) {
    counters_.inc(Counter::Ip6InDiscards);
    drops_.drop(DropReason::kIp6NotSupported);
    return;
  }
  auto v = wire::Ipv6View<const uint8_t>::checked(pkt.bytes());
  if (!v) {
    counters_.inc(v.error() == DropReason::kIp6BadVersion ? Counter::Ip6InHdrErrors
                                                          : Counter::Ip6InTruncatedPkts);
    drops_.drop(v.error());
    return;
  }
  pkt.trim(static_cast<uint32_t>(wire::kIpv6HeaderLen + v->payload_len()));  // link padding
  const Ipv6Addr src = v->src(), dst = v->dst();
  // RFC 4291 §2.7: a multicast address is never a source; §2.5.3: ::1 is
  // never sent on, nor accepted from, a link.
  if (src.is_multicast() || (!looped && (src.is_loopback() || dst.is_loopback()))) {
    counters_.inc(Counter::Ip6InAddrErrors);
    drops_.drop(DropReason::kIp6BadSource);
    return;
  }
  Ipv6RxMeta meta;
  meta.src = src;
  meta.dst = dst;
  meta.hop_limit = v->hop_limit();  // no hop limit check on delivery (RFC 8200 §3)
  meta.traffic_class = v->traffic_class();
  meta.ifindex = iface.index;
  meta.cast = cast;
  bool tentative = false;
  // Not a router: a packet for another address is not forwarded. A link
  // broadcast/multicast frame must carry an IPv6 multicast destination.
  if (!accept_destination(iface, dst, looped, meta, tentative) ||
      (cast != l2::LinkCast::kUnicast && !meta.dst_multicast)) {
    counters_.inc(Counter::Ip6InAddrErrors);
    drops_.drop(DropReason::kIp6NotForUs);
    return;
  }
  if (meta.dst_multicast) counters_.inc(Counter::Ip6InMcastPkts);
  process(iface, std::move(pkt), meta, tentative, now);
}

void Ipv6Layer::process(l2::Interface& iface, buf::PacketBuf&& pkt, Ipv6RxMeta& meta,
                        bool tentative, Instant now) {
  meta.quote = pkt.bytes().first(std::min<uint32_t>(pkt.size(), kQuoteMax));
  const wire::Ipv6View<const uint8_t> v(pkt.bytes());
  const auto payload = pkt.bytes().subspan(wire::kIpv6HeaderLen);
  // RFC 8200 §4: the chain, bounded in headers and bytes (deep chains).
  auto chain = wire::walk_ipv6_chain(v.next_header(), payload);
  if (!chain) {
    counters_.inc(Counter::Ip6InHdrErrors);
    if (chain.error() == DropReason::kIp6Truncated &&
        first_fragment_cut(v.next_header(), payload)) {
      // RFC 7112 §5: a first fragment without the whole header chain.
      drops_.drop(DropReason::kIp6FragHeaderChain);
      icmp_.send_param_problem(3, 0, meta, now);
      return;
    }
    drops_.drop(chain.error());
    return;
  }
  const wire::Ipv6ExtEntry* frag = chain->find(wire::ip_proto::kIpv6Frag);
  bool fragmented = false;
  if (frag != nullptr) {
    const wire::Ipv6FragView<const uint8_t> fv(payload.subspan(frag->offset));
    // RFC 6946 §5: an atomic fragment (offset 0, M clear) is a whole
    // packet, never mixed with fragments in reassembly.
    fragmented = fv.frag_offset() != 0 || fv.more_frags();
    // RFC 7112 §5: the first fragment carries the upper-layer header too
    // (its fixed part: 8 bytes for UDP and ICMPv6, 20 for TCP).
    const size_t upper_min = chain->upper_protocol == wire::ip_proto::kTcp ? 20
                             : chain->upper_protocol == wire::ip_proto::kIpv6NoNext ? 0 : 8;
    if (fragmented && fv.frag_offset() == 0 &&
        payload.size() < chain->upper_offset + upper_min) {
      counters_.inc(Counter::Ip6InHdrErrors);
      drops_.drop(DropReason::kIp6FragHeaderChain);
      icmp_.send_param_problem(3, 0, meta, now);
      return;
    }
    if (fragmented && meta.reassembled) {  // a fragment inside a reassembled packet
      counters_.inc(Counter::Ip6ReasmFails);
      drops_.drop(DropReason::kIpFragBad);
      return;
    }
  }
  // Headers before a Fragment header are checked on every fragment; the
  // fragmentable part once it is whole.
  const size_t checked = fragmented ? static_cast<size_t>(frag - chain->ext.data()) : chain->ext_count;
  if (!check_chain(pkt, *chain, checked, meta, now)) return;
  if (fragmented) return reassemble(iface, std::move(pkt), *chain, *frag, meta, now);
  upper_layer(std::move(pkt), *chain, meta, tentative, now);
}

void Ipv6Layer::reassemble(l2::Interface& iface, buf::PacketBuf&& pkt,
                           const wire::Ipv6Chain& chain, const wire::Ipv6ExtEntry& frag,
                           Ipv6RxMeta& meta, Instant now) {
  const uint32_t unfrag = static_cast<uint32_t>(wire::kIpv6HeaderLen + frag.offset);
  const wire::Ipv6FragView<const uint8_t> fv(pkt.bytes().subspan(unfrag));
  const auto data = pkt.bytes().subspan(unfrag + wire::kIpv6FragHeaderLen);
  auto fail = [&](DropReason r) {
    counters_.inc(Counter::Ip6ReasmReqds);
    counters_.inc(Counter::Ip6ReasmFails);
    drops_.drop(r);
  };
  // RFC 8200 §4.5: a non-last fragment not a multiple of 8 bytes long:
  // parameter problem code 0 at the payload length field.
  if (data.empty() || (fv.more_frags() && data.size() % 8 != 0)) {
    if (!data.empty()) icmp_.send_param_problem(0, 4, meta, now);
    return fail(DropReason::kIpFragBad);
  }
  // ... past 65535 bytes: code 0 at the fragment offset field.
  if (fv.frag_offset() + data.size() > 65535) {
    icmp_.send_param_problem(0, unfrag + 2, meta, now);
    return fail(DropReason::kIpFragTooBig);
  }
  if (unfrag > kReasmMaxHeader) return fail(DropReason::kIpFragBad);  // documented bound
  // The unfragmentable part with its last next-header field naming the
  // fragmentable part: the header the datagram will have once whole.
  uint8_t hdr[kReasmMaxHeader];
  std::memcpy(hdr, pkt.data(), unfrag);
  const size_t idx = static_cast<size_t>(&frag - chain.ext.data());
  const size_t nh_at = idx == 0 ? 6 : wire::kIpv6HeaderLen + chain.ext[idx - 1].offset;
  hdr[nh_at] = fv.next_header();
  FragmentIn f;
  f.src = meta.src;
  f.dst = meta.dst;
  f.id = fv.ident();
  f.offset = fv.frag_offset();
  f.more = fv.more_frags();
  f.ifindex = iface.index;
  f.header = {hdr, unfrag};
  f.payload = data;
  auto whole = reasm_.add(f, now);
  pkt.reset();
  if (!whole) return;
  buf::PacketBuf p = std::move(whole->payload);
  const uint32_t hl = whole->first.header_len;
  if (!p.push_front(hl)) {
    drops_.drop(DropReason::kNoBuffer);
    return;
  }
  std::memcpy(p.data(), whole->first.bytes, hl);
  store_be16(p.data() + 4, static_cast<uint16_t>(p.size() - wire::kIpv6HeaderLen));
  meta.reassembled = true;
  meta.ifindex = whole->ifindex;
  l2::Interface* in = interface(whole->ifindex);
  process(in != nullptr ? *in : iface, std::move(p), meta, false, now);
}

void Ipv6Layer::upper_layer(buf::PacketBuf&& pkt, const wire::Ipv6Chain& chain,
                            Ipv6RxMeta& meta, bool tentative, Instant now) {
  const uint8_t proto = chain.upper_protocol;
  const uint32_t off = static_cast<uint32_t>(wire::kIpv6HeaderLen + chain.upper_offset);
  if (tentative) {
    // RFC 4862 §5.4: only Neighbor Discovery reaches a tentative address.
    const bool nd = proto == wire::ip_proto::kIcmpv6 && pkt.size() > off &&
                    wire::NdpRepr::is_ndp_type(pkt.data()[off]);
    if (!nd) {
      counters_.inc(Counter::Ip6InAddrErrors);
      drops_.drop(DropReason::kIp6Tentative);
      return;
    }
  }
  if (proto == wire::ip_proto::kIpv6NoNext) {
    counters_.inc(Counter::Ip6InDelivers);  // RFC 8200 §4.7: nothing follows
    return;
  }
  Ipv6ProtocolHandler* h = protos_[proto];
  if (h == nullptr) {
    // RFC 8200 §4: parameter problem code 1 at the next-header field
    // that named the unknown protocol.
    counters_.inc(Counter::Ip6InUnknownProtos);
    drops_.drop(DropReason::kIp6UnknownNextHeader);
    const uint32_t ptr = chain.ext_count == 0
                             ? 6
                             : static_cast<uint32_t>(wire::kIpv6HeaderLen +
                                                     chain.ext[chain.ext_count - 1].offset);
    icmp_.send_param_problem(1, ptr, meta, now);
    return;
  }
  meta.protocol = proto;
  pkt.pull_front(off);
  if (filter_ != nullptr && filter_->active() && !filter_input(meta, pkt, off, now)) return;
  counters_.inc(Counter::Ip6InDelivers);
  h->input(meta, std::move(pkt), now);
}

// The firewall's input hook: the upper-layer protocol and payload as the
// chain walk found them. Reject answers a TCP segment with a reset (the
// TCP handler's send_reset, as IPv4's TcpRejectHandler) and everything
// else, or TCP when no handler does it, with ICMPv6 port unreachable
// (RFC 4443 §3.1 code 4); Icmpv6::send_error keeps the §2.4(e) rules
// (never about an error, not to multicast).
bool Ipv6Layer::filter_input(const Ipv6RxMeta& meta, const buf::PacketBuf& payload, uint32_t hdr_len,
                             Instant now) {
  const filter::Verdict v = filter_->input(
      filter::packet_meta(6, meta.src, meta.dst, meta.ifindex, 0, meta.protocol, hdr_len + payload.size(),
                          payload.bytes()),
      now);
  if (v.accepted()) return true;
  drops_.drop(v.reason);
  if (v.kind == filter::Verdict::Kind::kDrop) return false;
  Ipv6ProtocolHandler* h = protos_[meta.protocol];
  if (v.kind == filter::Verdict::Kind::kRejectTcpRst && h != nullptr &&
      h->send_reset(meta, payload.bytes(), now))
    return false;
  icmp_.send_dest_unreachable(4, meta, now);
  return false;
}

}  // namespace stackd::ip
