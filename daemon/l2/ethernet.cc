#include "l2/ethernet.h"

#include <cstring>

namespace stackd::l2 {

namespace {
constexpr uint16_t kEtherTypeSTag = 0x88a8;  // IEEE 802.1ad service tag

// Six bytes as two fixed-size loads: MacAddr's defaulted comparison of a
// std::array became a memcmp call on every received frame.
bool mac_equal(const uint8_t* p, const MacAddr& m) {
  uint32_t a, b;
  uint16_t c, d;
  std::memcpy(&a, p, 4);
  std::memcpy(&b, m.b.data(), 4);
  std::memcpy(&c, p + 4, 2);
  std::memcpy(&d, m.b.data() + 4, 2);
  return ((a ^ b) | static_cast<uint32_t>(c ^ d)) == 0;
}
}  // namespace

Expected<EthernetRx> ethernet_accept(const Interface& iface, std::span<const uint8_t> frame) {
  auto v = wire::EthernetView<const uint8_t>::checked(frame);
  if (!v) return v.error();
  // Group bit: the first bit on the wire, the low bit of byte 0.
  if ((frame[6] & 0x01) != 0) return DropReason::kEthSrcMulticast;

  LinkCast cast = LinkCast::kUnicast;
  if (mac_equal(frame.data(), iface.mac)) {
    // The common case first: unicast to us.
  } else if (mac_equal(frame.data(), MacAddr::broadcast())) {
    cast = LinkCast::kBroadcast;
  } else if ((frame[0] & 0x01) != 0) {
    if (!iface.joined(v->dst())) return DropReason::kEthMulticastNotJoined;
    cast = LinkCast::kMulticast;
  } else {
    return DropReason::kEthNotForUs;
  }

  // IEEE 802.1Q C-tag, or an 802.1ad S-tag (0x88a8): we run no VLANs.
  if (v->has_vlan() || v->outer_type() == kEtherTypeSTag) return DropReason::kEthVlanNotConfigured;
  wire::EtherType type = v->ethertype();
  switch (type) {
    case wire::EtherType::kIpv4:
    case wire::EtherType::kIpv6:
    case wire::EtherType::kArp:
      return EthernetRx{type, cast};
    default:
      // Includes 802.3 length fields (< 0x0600) and protocols we do not run.
      return DropReason::kEthUnknownType;
  }
}

MacAddr ipv4_multicast_mac(Ipv4Addr group) {
  return {{0x01, 0x00, 0x5e, static_cast<uint8_t>((group.v >> 16) & 0x7f),
           static_cast<uint8_t>(group.v >> 8), static_cast<uint8_t>(group.v)}};
}

MacAddr ipv6_multicast_mac(const Ipv6Addr& g) {
  return {{0x33, 0x33, g.b[12], g.b[13], g.b[14], g.b[15]}};
}

bool push_ethernet(buf::PacketBuf& pkt, const MacAddr& dst, const MacAddr& src,
                   wire::EtherType type) {
  if (!pkt.push_front(wire::kEthernetHeaderLen)) return false;
  wire::EthernetRepr{.dst = dst, .src = src, .ethertype = type, .vlan_tci = {}}.emit(pkt.bytes());
  return true;
}

}  // namespace stackd::l2
