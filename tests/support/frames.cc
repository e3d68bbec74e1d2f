#include "support/frames.h"

#include <algorithm>
#include <map>

#include "base/byteorder.h"
#include "wire/arp.h"
#include "wire/icmpv4.h"
#include "wire/udp.h"

namespace stackd::testsupport {

Bytes eth_frame(const MacAddr& src, const MacAddr& dst, wire::EtherType type,
                std::span<const uint8_t> payload) {
  wire::EthernetRepr eth{dst, src, type, std::nullopt};
  Bytes f(eth.header_len() + payload.size());
  eth.emit(std::span(f).first(eth.header_len()));
  std::copy(payload.begin(), payload.end(), f.begin() + static_cast<long>(eth.header_len()));
  if (f.size() < wire::kEthernetMinFrame) f.resize(wire::kEthernetMinFrame, 0);
  return f;
}

namespace {
Bytes arp(wire::ArpOp op, const MacAddr& src_mac, Ipv4Addr src, const MacAddr& tha,
          Ipv4Addr tpa, const MacAddr& eth_dst) {
  wire::ArpRepr a{op, src_mac, src, tha, tpa};
  Bytes body(wire::kArpLen);
  a.emit(body);
  return eth_frame(src_mac, eth_dst, wire::EtherType::kArp, body);
}
}  // namespace

Bytes eth_arp_request(const MacAddr& src_mac, Ipv4Addr src, Ipv4Addr target) {
  return arp(wire::ArpOp::kRequest, src_mac, src, MacAddr{}, target, MacAddr::broadcast());
}

Bytes eth_arp_reply(const MacAddr& src_mac, Ipv4Addr src, const MacAddr& dst_mac, Ipv4Addr dst) {
  return arp(wire::ArpOp::kReply, src_mac, src, dst_mac, dst, dst_mac);
}

Bytes ipv4_packet(wire::Ipv4Repr h, std::span<const uint8_t> payload) {
  h.payload_len = static_cast<uint16_t>(payload.size());
  Bytes p(h.total_len());
  h.emit(std::span(p).first(h.header_len()));
  std::copy(payload.begin(), payload.end(), p.begin() + static_cast<long>(h.header_len()));
  return p;
}

Bytes udp_datagram(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport,
                   std::span<const uint8_t> payload) {
  wire::UdpRepr u{sport, dport, static_cast<uint16_t>(payload.size())};
  Bytes d(u.buffer_len());
  std::copy(payload.begin(), payload.end(), d.begin() + wire::kUdpHeaderLen);
  u.emit(d, src, dst);
  return d;
}

Bytes icmp_echo(uint16_t id, uint16_t seq, std::span<const uint8_t> data, bool reply) {
  wire::Icmpv4Repr r{wire::Icmpv4Echo{reply, id, seq, data}};
  Bytes m(r.buffer_len());
  r.emit(m);
  return m;
}

namespace {
Bytes eth_ipv4(const MacAddr& src_mac, const MacAddr& dst_mac, Ipv4Addr src, Ipv4Addr dst,
               uint8_t proto, std::span<const uint8_t> l4, uint16_t ident) {
  wire::Ipv4Repr h;
  h.src = src;
  h.dst = dst;
  h.protocol = proto;
  h.ident = ident;
  return eth_frame(src_mac, dst_mac, wire::EtherType::kIpv4, ipv4_packet(h, l4));
}
}  // namespace

Bytes eth_ipv4_udp(const MacAddr& src_mac, const MacAddr& dst_mac, Ipv4Addr src, Ipv4Addr dst,
                   uint16_t sport, uint16_t dport, std::span<const uint8_t> payload,
                   uint16_t ident) {
  return eth_ipv4(src_mac, dst_mac, src, dst, wire::ip_proto::kUdp,
                  udp_datagram(src, dst, sport, dport, payload), ident);
}

Bytes eth_icmp_echo(const MacAddr& src_mac, const MacAddr& dst_mac, Ipv4Addr src, Ipv4Addr dst,
                    uint16_t id, uint16_t seq, std::span<const uint8_t> data, uint16_t ident) {
  return eth_ipv4(src_mac, dst_mac, src, dst, wire::ip_proto::kIcmp, icmp_echo(id, seq, data),
                  ident);
}

std::vector<Bytes> fragment_ipv4(std::span<const uint8_t> ip_packet, uint32_t mtu) {
  auto v = wire::Ipv4View<const uint8_t>::checked(ip_packet);
  if (!v || v->total_len() <= mtu) return {Bytes(ip_packet.begin(), ip_packet.end())};
  const size_t hl = v->header_len();
  auto payload = v->payload();
  const size_t chunk = (mtu - hl) & ~size_t{7};  // Linux ip_fragment(): multiples of 8
  const uint16_t base_off = v->frag_offset();
  const bool base_mf = v->more_frags();
  std::vector<Bytes> out;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    size_t n = std::min(chunk, payload.size() - off);
    bool last = off + n == payload.size();
    Bytes f(hl + n);
    std::copy_n(ip_packet.begin(), hl, f.begin());
    std::copy_n(payload.begin() + static_cast<long>(off), n, f.begin() + static_cast<long>(hl));
    wire::Ipv4View<uint8_t> fv(f);
    fv.set_total_len(static_cast<uint16_t>(hl + n));
    uint16_t ff = static_cast<uint16_t>(((base_off + off) / 8) & wire::kIpv4FragOffsetMask);
    if (!last || base_mf) ff |= wire::kIpv4FlagMf;
    store_be16(f.data() + 6, ff);  // DF is never set on a fragment
    fv.fill_checksum();
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Bytes> fragment_frame(std::span<const uint8_t> frame, uint32_t mtu) {
  auto eth = wire::EthernetView<const uint8_t>::checked(frame);
  if (!eth) return {Bytes(frame.begin(), frame.end())};
  std::vector<Bytes> out;
  for (auto& p : fragment_ipv4(eth->payload(), mtu)) {
    Bytes f(frame.begin(), frame.begin() + static_cast<long>(eth->header_len()));
    f.insert(f.end(), p.begin(), p.end());
    if (f.size() < wire::kEthernetMinFrame) f.resize(wire::kEthernetMinFrame, 0);
    out.push_back(std::move(f));
  }
  return out;
}

std::optional<Bytes> reassemble_frames(const std::vector<Bytes>& frames) {
  if (frames.empty()) return std::nullopt;
  std::map<size_t, std::span<const uint8_t>> parts;  // offset -> payload
  std::span<const uint8_t> first_frame;
  size_t first_hl = 0, eth_len = 0, total = 0;
  bool have_last = false;
  for (const auto& f : frames) {
    auto eth = wire::EthernetView<const uint8_t>::checked(f);
    if (!eth) return std::nullopt;
    auto ip = wire::Ipv4View<const uint8_t>::checked(eth->payload());
    if (!ip) return std::nullopt;
    if (!ip->is_fragment()) {
      if (frames.size() != 1) return std::nullopt;
      return f;
    }
    if (ip->frag_offset() == 0) {
      first_frame = f;
      first_hl = ip->header_len();
      eth_len = eth->header_len();
    }
    if (!ip->more_frags()) {
      have_last = true;
      total = ip->frag_offset() + ip->payload().size();
    }
    parts[ip->frag_offset()] = ip->payload();
  }
  if (first_frame.empty() || !have_last) return std::nullopt;
  Bytes payload;
  for (const auto& [off, data] : parts) {
    if (off != payload.size()) return std::nullopt;  // hole or overlap
    payload.insert(payload.end(), data.begin(), data.end());
  }
  if (payload.size() != total || first_hl + total > 0xffff) return std::nullopt;
  Bytes out(first_frame.begin(), first_frame.begin() + static_cast<long>(eth_len + first_hl));
  out.insert(out.end(), payload.begin(), payload.end());
  wire::Ipv4View<uint8_t> v(std::span<uint8_t>(out).subspan(eth_len));
  v.set_total_len(static_cast<uint16_t>(first_hl + total));
  store_be16(out.data() + eth_len + 6, 0);
  v.fill_checksum();
  return out;
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return b;
}

}  // namespace stackd::testsupport
