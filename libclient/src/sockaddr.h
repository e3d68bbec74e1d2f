// sockaddr_in / sockaddr_in6 <-> the ABI's WireAddr, with Linux's checks
// (the family, then the length). The daemon decides what an address means
// for the socket (v4-mapped addresses on AF_INET6 sockets, IPV6_V6ONLY).
#pragma once

#include <sys/socket.h>

#include "stackd/abi/segment.h"

namespace stackd::client {

// For a socket of `domain`, as Linux checks it: -EINVAL (null, or shorter
// than the domain's sockaddr: 16 / 24 bytes), then -EAFNOSUPPORT (another
// family); 0 and *w filled.
// `v4_on_v6`: an AF_INET6 socket's call that Linux also takes a sockaddr_in
// for (UDP connect and sendto: udpv6_sendmsg, __ip6_datagram_connect go
// the IPv4 way); stackd applies IPV6_V6ONLY to it.
int to_wire(const sockaddr* sa, socklen_t len, int domain, abi::WireAddr* w, bool v4_on_v6 = false);
// Fills *sa (truncated to *len, as the kernel does) and sets *len to the
// full size of the family's sockaddr. Null `sa` or `len`: nothing.
void from_wire(const abi::WireAddr& w, sockaddr* sa, socklen_t* len);

}  // namespace stackd::client
