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

struct Interface {
  uint16_t index = 0;  // 1-based, stable for the interface's life
  std::string name;
  MacAddr mac;
  uint32_t mtu = 1500;  // L3 MTU
  bool up = false;
  nic::Device* device = nullptr;

  std::vector<IpPrefix> addrs;           // configured addresses with prefix length
  std::vector<MacAddr> mcast_macs;       // Ethernet multicast groups joined
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
