// Ethernet II on our side of the wire: which received frames are ours
// (IEEE 802.3 destination filtering as a NIC does it), how IPv4 multicast
// maps to a group MAC (RFC 1112 §6.4), and prepending our header into a
// buffer's headroom. Header bytes go through wire/ethernet.h.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/expected.h"
#include "buf/packet.h"
#include "l2/interface.h"
#include "wire/ethernet.h"

namespace stackd::l2 {

// What Ethernet input decided about a frame it accepts. Small enough to
// come back in a register: the source MAC is read from the frame by whoever
// needs it (ARP reads its own sender field), not carried here.
struct EthernetRx {
  wire::EtherType type;
  LinkCast cast;
};

// Destination and source filtering, then the type:
//   kEthTruncated, kEthSrcMulticast (a group address as source, IEEE 802.3
//   §3.2.3), kEthNotForUs (unicast to another MAC), kEthMulticastNotJoined,
//   kEthVlanNotConfigured (802.1Q tagged), kEthUnknownType.
Expected<EthernetRx> ethernet_accept(const Interface& iface, std::span<const uint8_t> frame);

// RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the group address.
MacAddr ipv4_multicast_mac(Ipv4Addr group);

// RFC 2464 §7: 33:33 followed by the low 32 bits of the IPv6 group address.
MacAddr ipv6_multicast_mac(const Ipv6Addr& group);

// Prepend an untagged Ethernet header into the headroom (no copy). False
// when the buffer has less than 14 bytes of headroom (unchanged then).
[[nodiscard]] bool push_ethernet(buf::PacketBuf& pkt, const MacAddr& dst, const MacAddr& src,
                                 wire::EtherType type);

}  // namespace stackd::l2
