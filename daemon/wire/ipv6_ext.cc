#include "wire/ipv6_ext.h"

#include <cstring>

namespace stackd::wire {

namespace {

// (hdr ext len + 1) * 8 for the generic format (RFC 8200 §4.3-4.6); AH counts
// 4-byte units minus 2 (RFC 4302 §2.2).
size_t ext_header_len(uint8_t type, std::span<const uint8_t> h) {
  if (type == ip_proto::kIpv6Frag) return kIpv6FragHeaderLen;
  if (type == ip_proto::kAh) return (size_t{h[1]} + 2) * 4;
  return (size_t{h[1]} + 1) * 8;
}

}  // namespace

Expected<Ipv6OptionsHeaderRepr> Ipv6OptionsHeaderRepr::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return DropReason::kIp6Truncated;
  size_t len = (size_t{bytes[1]} + 1) * 8;
  if (len > bytes.size()) return DropReason::kIp6Truncated;
  auto h = bytes.first(len);
  Ipv6OptionReader rd(h);
  while (rd.next()) {
  }
  if (rd.malformed()) return DropReason::kIp6BadExtHeader;
  return Ipv6OptionsHeaderRepr{bytes[0], h.subspan(2)};
}

void Ipv6OptionsHeaderRepr::emit(std::span<uint8_t> buf) const {
  assert(options.size() % 8 == 6 && buf.size() >= header_len());
  buf[0] = next_header;
  buf[1] = static_cast<uint8_t>((options.size() + 2) / 8 - 1);
  place_bytes(buf.subspan(2, options.size()), options);
}

Expected<Ipv6RoutingRepr> Ipv6RoutingRepr::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < 4) return DropReason::kIp6Truncated;
  size_t len = (size_t{bytes[1]} + 1) * 8;
  if (len > bytes.size()) return DropReason::kIp6Truncated;
  return Ipv6RoutingRepr{bytes[0], bytes[2], bytes[3], bytes.subspan(4, len - 4)};
}

void Ipv6RoutingRepr::emit(std::span<uint8_t> buf) const {
  assert(data.size() % 8 == 4 && buf.size() >= header_len());
  buf[0] = next_header;
  buf[1] = static_cast<uint8_t>((data.size() + 4) / 8 - 1);
  buf[2] = routing_type;
  buf[3] = segments_left;
  place_bytes(buf.subspan(4, data.size()), data);
}

Expected<Ipv6FragRepr> Ipv6FragRepr::parse(std::span<const uint8_t> bytes) {
  auto v = Ipv6FragView<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return Ipv6FragRepr{v->next_header(), v->frag_offset(), v->more_frags(), v->ident()};
}

void Ipv6FragRepr::emit(std::span<uint8_t> buf) const {
  assert(buf.size() >= kIpv6FragHeaderLen && frag_offset % 8 == 0);
  buf[0] = next_header;
  buf[1] = 0;
  store_be16(buf.data() + 2, static_cast<uint16_t>(frag_offset | (more_frags ? 1 : 0)));
  store_be32(buf.data() + 4, ident);
}

Expected<Ipv6Chain> walk_ipv6_chain(uint8_t next_header, std::span<const uint8_t> payload,
                                    size_t max_headers, size_t max_len) {
  Ipv6Chain c;
  size_t off = 0;
  uint8_t nh = next_header;
  while (is_ipv6_ext_header(nh)) {
    // RFC 8200 §4.1: Hop-by-Hop only immediately after the IPv6 header.
    if (nh == ip_proto::kHopByHop && c.ext_count != 0) return DropReason::kIp6BadExtHeader;
    if (c.ext_count >= max_headers || c.ext_count >= kIpv6MaxExtHeaders)
      return DropReason::kIp6ExtChainTooLong;
    auto rest = payload.subspan(off);
    if (rest.size() < 2) return DropReason::kIp6Truncated;
    size_t len = ext_header_len(nh, rest);
    if (len > rest.size()) return DropReason::kIp6Truncated;
    if (off + len > max_len) return DropReason::kIp6ExtChainTooLong;
    c.ext[c.ext_count++] = {nh, static_cast<uint16_t>(off), static_cast<uint16_t>(len)};
    uint8_t type = nh;
    nh = rest[0];
    off += len;
    if (type == ip_proto::kIpv6Frag && (load_be16(rest.data() + 2) & 0xfff8) != 0) {
      c.non_first_fragment = true;
      break;
    }
  }
  c.upper_protocol = nh;
  c.upper_offset = off;
  return c;
}

}  // namespace stackd::wire
