// One network interface as the stack sees it: the device under it, its
// addresses, the multicast groups it joined, its link statistics and the
// frames waiting to be transmitted at the end of the current burst.
// Owned by the Stack; layers refer to it by reference or by index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "buf/packet.h"
#include "nic/device.h"

namespace stackd::l2 {

// RFC 4862 §5.4: an address is TENTATIVE until duplicate address detection
// passed (PREFERRED); a DUPLICATE one is never used (§5.4.5).
enum class Ipv6AddrState : uint8_t { kTentative, kPreferred, kDuplicate };

struct Ipv6IfAddr {
  Ipv6Addr addr;
  uint8_t len = 64;
  Ipv6AddrState state = Ipv6AddrState::kTentative;
  uint8_t dad_probes = 0;  // DAD solicitations sent so far
};

struct Interface {
  uint16_t index = 0;  // 1-based, stable for the interface's life
  std::string name;
  MacAddr mac;
  uint32_t mtu = 1500;  // L3 MTU
  bool up = false;
  nic::Device* device = nullptr;

  std::vector<IpPrefix> addrs;           // configured addresses with prefix length
  std::vector<MacAddr> mcast_macs;       // Ethernet multicast groups joined
  // IPv6 (RFC 4291): the link-local address first, then the configured
  // ones; filled by l2::ipv6_setup_addresses when IPv6 is enabled.
  bool ipv6 = false;
  bool accept_ra = false;    // consume router advertisements (l2/ndp_router.cc)
  bool mld = true;           // MLD reports of our groups (l2/mld.h)
  uint32_t ipv6_mtu = 0;     // LinkMTU from a router advertisement (0: mtu)
  std::vector<Ipv6IfAddr> addrs6;
  std::vector<buf::PacketBuf> tx_queue;  // frames to hand to device->tx_burst at flush

  LinkStats stats;

  bool has_ipv4(Ipv4Addr a) const {
    for (const auto& p : addrs)
      if (p.addr.is_v4() && p.addr.v4() == a) return true;
    return false;
  }
  // A subnet-directed broadcast address of one of our IPv4 prefixes.
  bool is_ipv4_subnet_broadcast(Ipv4Addr a) const {
    for (const auto& p : addrs)
      if (p.addr.is_v4() && p.len < 31 && p.v4_broadcast() == a) return true;
    return false;
  }
  // First IPv4 address (source for packets originated on this interface).
  Ipv4Addr primary_ipv4() const {
    for (const auto& p : addrs)
      if (p.addr.is_v4()) return p.addr.v4();
    return {};
  }
  // One of our IPv6 addresses, in any state (null when not).
  const Ipv6IfAddr* find_ipv6(const Ipv6Addr& a) const {
    for (const auto& x : addrs6)
      if (x.addr == a) return &x;
    return nullptr;
  }
  Ipv6IfAddr* find_ipv6(const Ipv6Addr& a) {
    for (auto& x : addrs6)
      if (x.addr == a) return &x;
    return nullptr;
  }
  // A usable (PREFERRED) IPv6 address of this interface.
  bool has_ipv6(const Ipv6Addr& a) const {
    const Ipv6IfAddr* x = find_ipv6(a);
    return x != nullptr && x->state == Ipv6AddrState::kPreferred;
  }
  // The link-local address when it is usable, else unspecified.
  Ipv6Addr link_local() const {
    for (const auto& x : addrs6)
      if (x.addr.is_link_local() && x.state == Ipv6AddrState::kPreferred) return x.addr;
    return {};
  }
  bool joined(const MacAddr& m) const {
    for (const auto& g : mcast_macs)
      if (g == m) return true;
    return false;
  }
};

// How a frame reached us at L2; IP needs it (RFC 1122 §3.2.2: no ICMP
// errors for link-layer broadcast/multicast).
enum class LinkCast : uint8_t { kUnicast, kBroadcast, kMulticast };

}  // namespace stackd::l2
