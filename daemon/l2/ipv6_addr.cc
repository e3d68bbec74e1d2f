#include "l2/ipv6_addr.h"

#include "l2/ethernet.h"

namespace stackd::l2 {

Ipv6Addr link_local_from_mac(const MacAddr& mac) {
  Ipv6Addr a;
  a.b[0] = 0xfe;
  a.b[1] = 0x80;
  // RFC 4291 Appendix A: invert the "u" bit, insert 0xfffe.
  a.b[8] = static_cast<uint8_t>(mac.b[0] ^ 0x02);
  a.b[9] = mac.b[1];
  a.b[10] = mac.b[2];
  a.b[11] = 0xff;
  a.b[12] = 0xfe;
  a.b[13] = mac.b[3];
  a.b[14] = mac.b[4];
  a.b[15] = mac.b[5];
  return a;
}

void join_ipv6_group(Interface& iface, const Ipv6Addr& group) {
  MacAddr m = ipv6_multicast_mac(group);
  if (!iface.joined(m)) iface.mcast_macs.push_back(m);
}

void ipv6_setup_addresses(Interface& iface) {
  if (!iface.ipv6) return;
  auto add = [&](const Ipv6Addr& a, uint8_t len) {
    if (iface.find_ipv6(a) != nullptr) return;
    iface.addrs6.push_back({a, len, Ipv6AddrState::kTentative, 0});
    // RFC 4862 §5.4.2: join the solicited-node group before DAD.
    join_ipv6_group(iface, a.solicited_node());
  };
  add(link_local_from_mac(iface.mac), 64);
  for (const auto& p : iface.addrs)
    if (p.addr.is_v6() && !p.addr.v6().is_multicast() && !p.addr.v6().is_unspecified())
      add(p.addr.v6(), p.len);
  join_ipv6_group(iface, kAllNodes);  // RFC 4291 §2.8
}

bool ipv6_group_member(const Interface& iface, const Ipv6Addr& dst) {
  if (dst == kAllNodes) return true;
  for (const auto& x : iface.addrs6)
    if (x.addr.solicited_node() == dst) return true;
  return false;
}

}  // namespace stackd::l2
