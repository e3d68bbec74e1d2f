#include "wire/ndp.h"

#include <algorithm>
#include <cstring>

namespace stackd::wire {

namespace {

size_t pad8(size_t n) { return (n + 7) & ~size_t{7}; }

constexpr size_t kFixedLen[] = {8, 16, 24, 24, 40};  // RS RA NS NA Redirect

}  // namespace

Expected<NdpOptions> NdpOptions::parse(std::span<const uint8_t> bytes) {
  NdpOptions o;
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes.size() - i < 2) return DropReason::kNdpBadOption;
    uint8_t type = bytes[i];
    size_t len = size_t{bytes[i + 1]} * 8;
    // §4.6: "Nodes MUST silently discard an ND packet that contains an
    // option with length zero."
    if (len == 0 || len > bytes.size() - i) return DropReason::kNdpBadOption;
    const uint8_t* p = bytes.data() + i;
    switch (type) {
      case ndp_opt::kSourceLinkAddr:
      case ndp_opt::kTargetLinkAddr:
        if (len != 8) return DropReason::kNdpBadOption;  // Ethernet (RFC 2464 §6)
        (type == ndp_opt::kSourceLinkAddr ? o.source_lladdr : o.target_lladdr) = load_mac(p + 2);
        break;
      case ndp_opt::kPrefixInfo:
        if (len != 32) return DropReason::kNdpBadOption;
        if (o.prefix_count < kNdpMaxPrefixes)
          o.prefixes[o.prefix_count++] = {p[2], (p[3] & 0x80) != 0, (p[3] & 0x40) != 0,
                                          load_be32(p + 4), load_be32(p + 8), load_ipv6(p + 16)};
        break;
      case ndp_opt::kRedirectedHeader:
        o.redirected = bytes.subspan(i + 8, len - 8);
        break;
      case ndp_opt::kMtu:
        if (len != 8) return DropReason::kNdpBadOption;
        o.mtu = load_be32(p + 4);
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

size_t NdpOptions::emitted_len() const {
  size_t n = 0;
  if (source_lladdr) n += 8;
  if (target_lladdr) n += 8;
  if (mtu) n += 8;
  n += 32 * size_t{prefix_count};
  if (redirected) n += 8 + pad8(redirected->size());
  return n;
}

void NdpOptions::emit(std::span<uint8_t> out) const {
  assert(out.size() == emitted_len());
  // Zero everything but the redirected header's data, which may already be
  // in place (emit over the parsed buffer).
  size_t redirected_at = out.size() - (redirected ? 8 + pad8(redirected->size()) : 0);
  std::memset(out.data(), 0, redirected_at + (redirected ? 8 : 0));
  uint8_t* p = out.data();
  auto lladdr = [&](uint8_t type, const MacAddr& m) {
    p[0] = type;
    p[1] = 1;
    store_mac(p + 2, m);
    p += 8;
  };
  if (source_lladdr) lladdr(ndp_opt::kSourceLinkAddr, *source_lladdr);
  if (target_lladdr) lladdr(ndp_opt::kTargetLinkAddr, *target_lladdr);
  if (mtu) {
    p[0] = ndp_opt::kMtu;
    p[1] = 1;
    store_be32(p + 4, *mtu);
    p += 8;
  }
  for (const auto& pi : prefix_list()) {
    p[0] = ndp_opt::kPrefixInfo;
    p[1] = 4;
    p[2] = pi.prefix_len;
    p[3] = static_cast<uint8_t>((pi.on_link ? 0x80 : 0) | (pi.autonomous ? 0x40 : 0));
    store_be32(p + 4, pi.valid_lifetime);
    store_be32(p + 8, pi.preferred_lifetime);
    store_ipv6(p + 16, pi.prefix);
    p += 32;
  }
  if (redirected) {
    size_t len = 8 + pad8(redirected->size());
    p[0] = ndp_opt::kRedirectedHeader;
    p[1] = static_cast<uint8_t>(len / 8);
    place_bytes(std::span<uint8_t>(p + 8, redirected->size()), *redirected);
    std::memset(p + 8 + redirected->size(), 0, len - 8 - redirected->size());
  }
}

bool NdpOptions::operator==(const NdpOptions& o) const {
  if (source_lladdr != o.source_lladdr || target_lladdr != o.target_lladdr || mtu != o.mtu ||
      !std::ranges::equal(prefix_list(), o.prefix_list()) ||
      redirected.has_value() != o.redirected.has_value())
    return false;
  return !redirected || std::ranges::equal(*redirected, *o.redirected);
}

Expected<NdpRepr> NdpRepr::parse(Icmpv6View<const uint8_t> v) {
  if (!is_ndp_type(v.type())) return DropReason::kIcmpUnknownType;
  const size_t idx = v.type() - icmpv6_type::kRouterSolicit;
  if (v.bytes().size() < kFixedLen[idx]) return DropReason::kIcmpTruncated;
  if (v.code() != 0) return DropReason::kNdpInvalid;
  const uint8_t* p = v.bytes().data();
  NdpRepr r;
  switch (v.type()) {
    case icmpv6_type::kRouterSolicit:
      r.msg = NdpRouterSolicit{};
      break;
    case icmpv6_type::kRouterAdvert:
      r.msg = NdpRouterAdvert{p[4], (p[5] & 0x80) != 0, (p[5] & 0x40) != 0, load_be16(p + 6),
                              load_be32(p + 8), load_be32(p + 12)};
      break;
    case icmpv6_type::kNeighborSolicit:
      r.msg = NdpNeighborSolicit{load_ipv6(p + 8)};
      break;
    case icmpv6_type::kNeighborAdvert:
      r.msg = NdpNeighborAdvert{(p[4] & 0x80) != 0, (p[4] & 0x40) != 0, (p[4] & 0x20) != 0,
                                load_ipv6(p + 8)};
      break;
    default:
      r.msg = NdpRedirect{load_ipv6(p + 8), load_ipv6(p + 24)};
      break;
  }
  auto opts = NdpOptions::parse(v.bytes().subspan(kFixedLen[idx]));
  if (!opts) return opts.error();
  r.options = *opts;
  return r;
}

size_t NdpRepr::fixed_len() const { return kFixedLen[msg.index()]; }

void NdpRepr::emit(std::span<uint8_t> buf, const Ipv6Addr& src, const Ipv6Addr& dst) const {
  assert(buf.size() == buffer_len());
  const size_t fl = fixed_len();
  std::memset(buf.data(), 0, fl);
  uint8_t* p = buf.data();
  p[0] = type();
  if (const auto* ra = std::get_if<NdpRouterAdvert>(&msg)) {
    p[4] = ra->cur_hop_limit;
    p[5] = static_cast<uint8_t>((ra->managed ? 0x80 : 0) | (ra->other ? 0x40 : 0));
    store_be16(p + 6, ra->router_lifetime);
    store_be32(p + 8, ra->reachable_time);
    store_be32(p + 12, ra->retrans_timer);
  } else if (const auto* ns = std::get_if<NdpNeighborSolicit>(&msg)) {
    store_ipv6(p + 8, ns->target);
  } else if (const auto* na = std::get_if<NdpNeighborAdvert>(&msg)) {
    p[4] = static_cast<uint8_t>((na->router ? 0x80 : 0) | (na->solicited ? 0x40 : 0) |
                                (na->override_ ? 0x20 : 0));
    store_ipv6(p + 8, na->target);
  } else if (const auto* rd = std::get_if<NdpRedirect>(&msg)) {
    store_ipv6(p + 8, rd->target);
    store_ipv6(p + 24, rd->destination);
  }
  options.emit(buf.subspan(fl));
  Icmpv6View<uint8_t>(buf).fill_checksum(src, dst);
}

}  // namespace stackd::wire
