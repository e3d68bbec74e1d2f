// The extension-header checks of IPv6 input (RFC 8200 §4), on a chain the
// bounded walker (wire/ipv6_ext.h) already split: Hop-by-Hop and
// Destination options by their action bits (§4.2), Routing headers (§4.4,
// RFC 5095 for type 0), and the RFC 7112 rule that a first fragment holds
// the whole header chain.
#include "ip/ipv6.h"
#include "wire/ipv6_ext.h"

namespace stackd::ip {

bool Ipv6Layer::check_options(std::span<const uint8_t> header, uint32_t at,
                              const Ipv6RxMeta& meta, Instant now) {
  wire::Ipv6OptionReader rd(header);
  while (auto o = rd.next()) {
    if (o->type == wire::ipv6_opt::kRouterAlert) continue;  // RFC 2711: nothing for a host
    // Unknown (Jumbo payload included: RFC 2675 is not supported).
    const uint32_t ptr = at + static_cast<uint32_t>(o->offset);
    switch (o->action()) {
      case wire::Ipv6OptAction::kSkip:
        continue;
      case wire::Ipv6OptAction::kDiscard:
        break;
      case wire::Ipv6OptAction::kDiscardIcmp:  // even to a multicast destination (§4.2)
        icmp_.send_param_problem(2, ptr, meta, now, true);
        break;
      case wire::Ipv6OptAction::kDiscardIcmpIfUnicast:
        icmp_.send_param_problem(2, ptr, meta, now);  // refused for multicast by §2.4(e)
        break;
    }
    counters_.inc(Counter::Ip6InHdrErrors);
    drops_.drop(DropReason::kIp6UnknownOption);
    return false;
  }
  if (rd.malformed()) {  // an option runs past its header
    counters_.inc(Counter::Ip6InHdrErrors);
    drops_.drop(DropReason::kIp6BadExtHeader);
    return false;
  }
  return true;
}

bool Ipv6Layer::check_chain(const buf::PacketBuf& pkt, const wire::Ipv6Chain& chain,
                            size_t count, const Ipv6RxMeta& meta, Instant now) {
  for (size_t i = 0; i < count; ++i) {
    const wire::Ipv6ExtEntry& e = chain.ext[i];
    const uint32_t at = static_cast<uint32_t>(wire::kIpv6HeaderLen + e.offset);
    const auto h = pkt.bytes().subspan(at, e.len);
    switch (e.type) {
      case wire::ip_proto::kHopByHop:
      case wire::ip_proto::kIpv6Opts:
        if (!check_options(h, at, meta, now)) return false;
        break;
      case wire::ip_proto::kIpv6Route: {
        // §4.4: with segments left 0 the header is ignored, whatever its
        // type. Otherwise we would have to forward: type 0 is deprecated
        // (RFC 5095 §3: treated as unrecognised), and a host processes no
        // other type either: parameter problem code 0 at the type field.
        if (h[3] == 0) break;
        counters_.inc(Counter::Ip6InHdrErrors);
        drops_.drop(h[2] == wire::ipv6_routing::kType0 ? DropReason::kIp6Rh0
                                                        : DropReason::kIp6UnknownRouting);
        icmp_.send_param_problem(0, at + 2, meta, now);
        return false;
      }
      case wire::ip_proto::kIpv6Frag:
        break;
      default:  // AH: no IPsec here
        counters_.inc(Counter::Ip6InUnknownProtos);
        drops_.drop(DropReason::kIp6UnknownNextHeader);
        return false;
    }
  }
  return true;
}

bool Ipv6Layer::first_fragment_cut(uint8_t nh, std::span<const uint8_t> p) {
  // Re-walk only as far as a Fragment header: the full walk failed.
  size_t off = 0;
  for (size_t n = 0; n < wire::kIpv6MaxExtHeaders && wire::is_ipv6_ext_header(nh); ++n) {
    if (p.size() - off < 2) return false;
    if (nh == wire::ip_proto::kIpv6Frag) {
      if (p.size() - off < wire::kIpv6FragHeaderLen) return false;
      return (load_be16(p.data() + off + 2) & 0xfff8) == 0;  // offset 0: first fragment
    }
    const size_t len = nh == wire::ip_proto::kAh ? (size_t{p[off + 1]} + 2) * 4
                                                 : (size_t{p[off + 1]} + 1) * 8;
    nh = p[off];
    off += len;
    if (off > p.size()) return false;
  }
  return false;
}

}  // namespace stackd::ip
