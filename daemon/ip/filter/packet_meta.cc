#include "ip/filter/packet_meta.h"

#include <algorithm>
#include <array>

#include "base/byteorder.h"
#include "wire/ip_proto.h"

namespace stackd::ip::filter {

namespace {
constexpr size_t kIcmpHeader = 8;  // RFC 792: type, code, checksum, rest
constexpr size_t kIpMinHeader = 20;
constexpr size_t kIpv6Header = 40;  // RFC 8200 §3

bool is_icmp_query(uint8_t type) {  // echo and timestamp carry an identifier
  return type == 0 || type == 8 || type == 13 || type == 14;
}
bool is_icmpv6_echo(uint8_t type) { return type == 128 || type == 129; }  // RFC 4443 §4

// RFC 4443 §2.4(c): an ICMPv6 error quotes as much of the invoking packet
// as fits, from its IPv6 header on. The tuple is read when the upper-layer
// header follows the fixed header directly (no extension headers).
void fill_inner6(PacketMeta& m, std::span<const uint8_t> q) {
  if (q.size() < kIpv6Header + 8 || (q[0] >> 4) != 6) return;
  m.inner_proto = q[6];
  std::array<uint8_t, 16> a{};
  std::copy_n(q.data() + 8, 16, a.begin());
  m.inner_src = Ipv6Addr{a};
  std::copy_n(q.data() + 24, 16, a.begin());
  m.inner_dst = Ipv6Addr{a};
  const uint8_t* l4 = q.data() + kIpv6Header;
  if (m.inner_proto == wire::ip_proto::kTcp || m.inner_proto == wire::ip_proto::kUdp) {
    m.inner_sport = load_be16(l4);
    m.inner_dport = load_be16(l4 + 2);
  } else if (m.inner_proto == wire::ip_proto::kIcmpv6) {
    if (!is_icmpv6_echo(l4[0])) return;  // errors are never about errors
    m.inner_sport = m.inner_dport = load_be16(l4 + 4);
  } else {
    return;
  }
  m.has_inner = true;
}

// RFC 792: an error carries the invoking IP header + its first 64 bits.
void fill_inner(PacketMeta& m, std::span<const uint8_t> q) {
  if (q.size() < kIpMinHeader || (q[0] >> 4) != 4) return;
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  if (ihl < kIpMinHeader || q.size() < ihl + 8) return;
  const bool first_fragment = (load_be16(q.data() + 6) & 0x1fff) == 0;
  if (!first_fragment) return;
  m.inner_proto = q[9];
  m.inner_src = Ipv4Addr{load_be32(q.data() + 12)};
  m.inner_dst = Ipv4Addr{load_be32(q.data() + 16)};
  const uint8_t* l4 = q.data() + ihl;
  if (m.inner_proto == wire::ip_proto::kTcp || m.inner_proto == wire::ip_proto::kUdp) {
    m.inner_sport = load_be16(l4);
    m.inner_dport = load_be16(l4 + 2);
  } else if (m.inner_proto == wire::ip_proto::kIcmp) {
    if (!is_icmp_query(l4[0])) return;  // errors are never about errors
    m.inner_sport = m.inner_dport = load_be16(l4 + 4);
  }
  m.has_inner = true;
}
}  // namespace

PacketMeta packet_meta(uint8_t ip_version, const IpAddr& src, const IpAddr& dst, uint16_t iif, uint16_t oif,
                       uint8_t proto, uint32_t len, std::span<const uint8_t> l4) {
  PacketMeta m;
  m.ip_version = ip_version;
  m.src = src;
  m.dst = dst;
  m.iif = iif;
  m.oif = oif;
  m.proto = proto;
  m.len = len;
  fill_l4(m, l4);
  return m;
}

bool is_icmp_error(const PacketMeta& m) {
  if (!m.has_icmp) return false;
  if (m.proto == wire::ip_proto::kIcmp) return is_icmp_error(m.icmp_type);
  return m.proto == wire::ip_proto::kIcmpv6 && is_icmpv6_error(m.icmp_type);
}

void fill_l4(PacketMeta& m, std::span<const uint8_t> l4) {
  switch (m.proto) {
    case wire::ip_proto::kTcp:
      if (l4.size() < 14) return;  // ports + flags (RFC 9293 §3.1)
      m.has_ports = true;
      m.sport = load_be16(l4.data());
      m.dport = load_be16(l4.data() + 2);
      m.tcp_flags = l4[13];
      return;
    case wire::ip_proto::kUdp:
      if (l4.size() < 4) return;
      m.has_ports = true;
      m.sport = load_be16(l4.data());
      m.dport = load_be16(l4.data() + 2);
      return;
    case wire::ip_proto::kIcmp:
      if (l4.size() < kIcmpHeader) return;
      m.has_icmp = true;
      m.icmp_type = l4[0];
      m.icmp_code = l4[1];
      if (is_icmp_query(m.icmp_type)) m.icmp_id = load_be16(l4.data() + 4);
      if (is_icmp_error(m.icmp_type)) fill_inner(m, l4.subspan(kIcmpHeader));
      return;
    case wire::ip_proto::kIcmpv6:
      if (l4.size() < kIcmpHeader) return;
      m.has_icmp = true;
      m.icmp_type = l4[0];
      m.icmp_code = l4[1];
      if (is_icmpv6_echo(m.icmp_type)) m.icmp_id = load_be16(l4.data() + 4);
      if (is_icmpv6_error(m.icmp_type)) fill_inner6(m, l4.subspan(kIcmpHeader));
      return;
    default:
      return;
  }
}

}  // namespace stackd::ip::filter
