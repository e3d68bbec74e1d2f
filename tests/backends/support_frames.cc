#include "support_frames.h"

#include <cstring>

#include "base/byteorder.h"

namespace stackd::test {
namespace {

void put_mac(uint8_t* p, MacAddr m) {
  std::memcpy(p, m.b.data(), 6);
}
MacAddr get_mac(const uint8_t* p) {
  MacAddr m;
  std::memcpy(m.b.data(), p, 6);
  return m;
}

// RFC 1071 Internet checksum.
uint16_t inet_checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += load_be16(p + i);
  if (n % 2 != 0) sum += static_cast<uint32_t>(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::vector<uint8_t> arp_frame(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa,
                               MacAddr eth_dst) {
  std::vector<uint8_t> f(14 + 28);
  put_mac(&f[0], eth_dst);
  put_mac(&f[6], sha);
  store_be16(&f[12], kEthArp);
  uint8_t* a = &f[14];
  store_be16(a + 0, 1);       // htype Ethernet
  store_be16(a + 2, 0x0800);  // ptype IPv4
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, op);
  put_mac(a + 8, sha);
  store_be32(a + 14, spa.v);
  put_mac(a + 18, tha);
  store_be32(a + 24, tpa.v);
  return f;
}

std::vector<uint8_t> udp_frame(MacAddr src_mac, MacAddr dst_mac, Ipv4Addr src, Ipv4Addr dst,
                               uint16_t sport, uint16_t dport, std::span<const uint8_t> payload) {
  const size_t ip_len = 20 + 8 + payload.size();
  std::vector<uint8_t> f(14 + ip_len);
  put_mac(&f[0], dst_mac);
  put_mac(&f[6], src_mac);
  store_be16(&f[12], kEthIpv4);
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  store_be16(ip + 2, static_cast<uint16_t>(ip_len));
  store_be16(ip + 4, 0x1234);  // identification
  store_be16(ip + 6, 0x4000);  // DF
  ip[8] = 64;                  // TTL
  ip[9] = 17;                  // UDP
  store_be32(ip + 12, src.v);
  store_be32(ip + 16, dst.v);
  store_be16(ip + 10, inet_checksum(ip, 20));
  uint8_t* udp = ip + 20;
  store_be16(udp + 0, sport);
  store_be16(udp + 2, dport);
  store_be16(udp + 4, static_cast<uint16_t>(8 + payload.size()));
  store_be16(udp + 6, 0);  // RFC 768: zero means no checksum
  if (!payload.empty()) std::memcpy(udp + 8, payload.data(), payload.size());
  return f;
}

std::optional<ArpSeen> parse_arp(std::span<const uint8_t> f) {
  if (f.size() < 14 + 28 || load_be16(&f[12]) != kEthArp) return std::nullopt;
  const uint8_t* a = &f[14];
  if (load_be16(a) != 1 || load_be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
    return std::nullopt;
  ArpSeen s;
  s.op = load_be16(a + 6);
  s.sha = get_mac(a + 8);
  s.spa = Ipv4Addr{load_be32(a + 14)};
  s.tpa = Ipv4Addr{load_be32(a + 24)};
  return s;
}

std::optional<UdpSeen> parse_udp(std::span<const uint8_t> f) {
  if (f.size() < 14 + 20 + 8 || load_be16(&f[12]) != kEthIpv4) return std::nullopt;
  const uint8_t* ip = &f[14];
  size_t ihl = (ip[0] & 0x0f) * 4u;
  size_t total = load_be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ip[9] != 17 || ihl < 20 || total < ihl + 8 || 14 + total > f.size())
    return std::nullopt;
  const uint8_t* udp = ip + ihl;
  size_t ulen = load_be16(udp + 4);
  if (ulen < 8 || ihl + ulen > total) return std::nullopt;
  UdpSeen s;
  s.src_mac = get_mac(&f[6]);
  s.src = Ipv4Addr{load_be32(ip + 12)};
  s.dst = Ipv4Addr{load_be32(ip + 16)};
  s.sport = load_be16(udp);
  s.dport = load_be16(udp + 2);
  s.payload.assign(udp + 8, udp + ulen);
  return s;
}

}  // namespace stackd::test
