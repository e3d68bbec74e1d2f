// IPv6 addressing of an interface (RFC 4291): the link-local address
// derived from the MAC (modified EUI-64, RFC 4291 §2.5.1 and Appendix A),
// the configured addresses, and the multicast groups every IPv6 node joins
// on the link (all-nodes ff02::1 and the solicited-node group of each
// address, RFC 4291 §2.8) with their Ethernet filters (RFC 2464 §7).
#pragma once

#include "base/addr.h"
#include "l2/interface.h"

namespace stackd::l2 {

// ff02::1, RFC 4291 §2.7.1.
inline constexpr Ipv6Addr kAllNodes{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
// ff02::2
inline constexpr Ipv6Addr kAllRouters{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

// fe80::/64 with the modified EUI-64 interface identifier of `mac`: the
// universal/local bit inverted and ff:fe inserted in the middle.
Ipv6Addr link_local_from_mac(const MacAddr& mac);

// Fill iface.addrs6 (link-local first, then the IPv6 prefixes of
// iface.addrs, all TENTATIVE) and join the groups. Idempotent. Does
// nothing unless iface.ipv6.
void ipv6_setup_addresses(Interface& iface);

// Join the Ethernet group of an IPv6 multicast address (no duplicates).
void join_ipv6_group(Interface& iface, const Ipv6Addr& group);

// Is `dst` a multicast group this interface listens to (all-nodes, or the
// solicited-node group of one of its addresses in any state)?
bool ipv6_group_member(const Interface& iface, const Ipv6Addr& dst);

}  // namespace stackd::l2
