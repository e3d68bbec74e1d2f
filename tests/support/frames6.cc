#include "support/frames6.h"

#include <algorithm>
#include <map>

#include "wire/ethernet.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"
#include "wire/udp.h"

namespace stackd::testsupport {

Ipv6Addr A6(const char* s) { return *Ipv6Addr::parse(s); }

Bytes ipv6_packet(wire::Ipv6Repr h, std::span<const uint8_t> payload) {
  h.payload_len = static_cast<uint16_t>(payload.size());
  Bytes p(wire::kIpv6HeaderLen + payload.size());
  h.emit(p);
  std::copy(payload.begin(), payload.end(), p.begin() + wire::kIpv6HeaderLen);
  return p;
}

Bytes eth_ipv6(const MacAddr& src, const MacAddr& dst, std::span<const uint8_t> ip_packet) {
  return eth_frame(src, dst, wire::EtherType::kIpv6, ip_packet);
}

MacAddr mcast_mac6(const Ipv6Addr& g) { return {{0x33, 0x33, g.b[12], g.b[13], g.b[14], g.b[15]}}; }

Bytes icmpv6_echo(const Ipv6Addr& src, const Ipv6Addr& dst, uint16_t id, uint16_t seq,
                  std::span<const uint8_t> data, bool reply) {
  wire::Icmpv6Repr r{wire::Icmpv6Echo{reply, id, seq, data}};
  Bytes m(r.buffer_len());
  r.emit(m, src, dst);
  return m;
}

Bytes udp6_datagram(const Ipv6Addr& src, const Ipv6Addr& dst, uint16_t sport, uint16_t dport,
                    std::span<const uint8_t> payload) {
  wire::UdpRepr u{sport, dport, static_cast<uint16_t>(payload.size())};
  Bytes d(u.buffer_len());
  std::copy(payload.begin(), payload.end(), d.begin() + wire::kUdpHeaderLen);
  u.emit(d, src, dst);
  return d;
}

Bytes options_header(uint8_t next, std::span<const uint8_t> tlvs) {
  Bytes h(2 + tlvs.size(), 0);
  h[0] = next;
  std::copy(tlvs.begin(), tlvs.end(), h.begin() + 2);
  const size_t pad = (8 - h.size() % 8) % 8;
  if (pad == 1) {
    h.push_back(0);  // Pad1
  } else if (pad > 1) {
    h.push_back(1);  // PadN
    h.push_back(static_cast<uint8_t>(pad - 2));
    h.insert(h.end(), pad - 2, 0);
  }
  h[1] = static_cast<uint8_t>(h.size() / 8 - 1);
  return h;
}

Bytes routing_header(uint8_t next, uint8_t type, uint8_t segments_left) {
  // Type 0 layout (RFC 2460 §4.4): reserved(4) then addresses; one address.
  Bytes h(24, 0);
  h[0] = next;
  h[1] = 2;
  h[2] = type;
  h[3] = segments_left;
  return h;
}

Bytes cat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes eth_ping6(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
                const Ipv6Addr& dst, uint16_t id, uint16_t seq, std::span<const uint8_t> data,
                uint8_t hop_limit) {
  return eth_ipv6(src_mac, dst_mac,
                  ipv6_packet({src, dst, wire::ip_proto::kIcmpv6, hop_limit, 0, 0, 0},
                              icmpv6_echo(src, dst, id, seq, data)));
}

Bytes eth_udp6(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
               const Ipv6Addr& dst, uint16_t sport, uint16_t dport,
               std::span<const uint8_t> payload) {
  return eth_ipv6(src_mac, dst_mac,
                  ipv6_packet({src, dst, wire::ip_proto::kUdp, 64, 0, 0, 0},
                              udp6_datagram(src, dst, sport, dport, payload)));
}

namespace {
Bytes nd_frame(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
               const Ipv6Addr& dst, const wire::NdpRepr& nd, uint8_t hop_limit) {
  Bytes m(nd.buffer_len());
  nd.emit(m, src, dst);
  return eth_ipv6(src_mac, dst_mac,
                  ipv6_packet({src, dst, wire::ip_proto::kIcmpv6, hop_limit, 0, 0, 0}, m));
}
}  // namespace

Bytes eth_ns(const MacAddr& src_mac, const Ipv6Addr& src, const Ipv6Addr& target,
             std::optional<Ipv6Addr> dst, uint8_t hop_limit) {
  wire::NdpRepr nd;
  nd.msg = wire::NdpNeighborSolicit{target};
  if (!src.is_unspecified()) nd.options.source_lladdr = src_mac;
  const Ipv6Addr d = dst.value_or(target.solicited_node());
  return nd_frame(src_mac, d.is_multicast() ? mcast_mac6(d) : MacAddr{{0x02, 0, 0, 0, 0, 0x02}},
                  src, d, nd, hop_limit);
}

Bytes eth_na(const MacAddr& src_mac, const MacAddr& dst_mac, const Ipv6Addr& src,
             const Ipv6Addr& dst, const Ipv6Addr& target, bool solicited, bool override_flag,
             std::optional<MacAddr> tlla, uint8_t hop_limit) {
  wire::NdpRepr nd;
  nd.msg = wire::NdpNeighborAdvert{false, solicited, override_flag, target};
  nd.options.target_lladdr = tlla;
  return nd_frame(src_mac, dst_mac, src, dst, nd, hop_limit);
}

std::vector<Bytes> fragment_ipv6(std::span<const uint8_t> packet, uint32_t mtu, uint32_t ident) {
  auto h = *wire::Ipv6Repr::parse(packet);
  auto data = packet.subspan(wire::kIpv6HeaderLen, h.payload_len);
  const uint32_t per = (mtu - 48) & ~7u;
  std::vector<Bytes> out;
  for (uint32_t off = 0; off < data.size(); off += per) {
    const uint32_t len = std::min<uint32_t>(per, static_cast<uint32_t>(data.size()) - off);
    Bytes fh(8);
    wire::Ipv6FragRepr{h.next_header, static_cast<uint16_t>(off), off + len < data.size(), ident}
        .emit(fh);
    wire::Ipv6Repr fhdr = h;
    fhdr.next_header = wire::ip_proto::kIpv6Frag;
    out.push_back(ipv6_packet(fhdr, cat({fh, data.subspan(off, len)})));
  }
  return out;
}

std::vector<Bytes> fragment_frame6(std::span<const uint8_t> frame, uint32_t mtu, uint32_t ident) {
  auto eth = *wire::EthernetRepr::parse(frame);
  auto ip = frame.subspan(eth.header_len());
  auto h = *wire::Ipv6Repr::parse(ip);
  std::vector<Bytes> out;
  for (auto& p : fragment_ipv6(ip.first(wire::kIpv6HeaderLen + h.payload_len), mtu, ident))
    out.push_back(eth_ipv6(eth.src, eth.dst, p));
  return out;
}

std::optional<Parsed6> parse6(std::span<const uint8_t> frame) {
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth || eth->ethertype != wire::EtherType::kIpv6) return std::nullopt;
  auto ip = frame.subspan(eth->header_len());
  auto h = wire::Ipv6Repr::parse(ip);
  if (!h) return std::nullopt;
  auto payload = ip.subspan(wire::kIpv6HeaderLen, h->payload_len);
  auto chain = wire::walk_ipv6_chain(h->next_header, payload);
  if (!chain) return std::nullopt;
  Parsed6 p{*h, eth->dst, chain->upper_protocol, std::nullopt, payload.subspan(chain->upper_offset)};
  if (const auto* f = chain->find(wire::ip_proto::kIpv6Frag))
    p.frag = *wire::Ipv6FragRepr::parse(payload.subspan(f->offset));
  return p;
}

std::optional<Bytes> reassemble6(const std::vector<Bytes>& frames) {
  std::map<uint32_t, std::pair<Bytes, bool>> parts;
  for (const auto& f : frames) {
    auto p = parse6(f);
    if (!p || !p->frag) return std::nullopt;
    parts[p->frag->frag_offset] = {Bytes(p->l4.begin(), p->l4.end()), p->frag->more_frags};
  }
  Bytes out;
  bool last = false;
  for (auto& [off, part] : parts) {
    if (off != out.size()) return std::nullopt;
    out.insert(out.end(), part.first.begin(), part.first.end());
    last = !part.second;
  }
  if (!last) return std::nullopt;
  return out;
}

}  // namespace stackd::testsupport
