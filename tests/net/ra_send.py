#!/usr/bin/env python3
"""Send one IPv6 Router Advertisement (RFC 4861 §4.2) to all-nodes on IFNAME.

Runs in the Linux peer's namespace: a raw ICMPv6 socket (the kernel fills
the checksum and picks the interface's link-local source), hop limit 255.
Options: the source link-layer address, and optionally an MTU and an
on-link prefix.
"""
import argparse
import ipaddress
import socket
import struct
import sys


def mac_of(ifname: str) -> bytes:
    with open(f"/sys/class/net/{ifname}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("ifname")
    ap.add_argument("--lifetime", type=int, default=1800, help="router lifetime, seconds")
    ap.add_argument("--mtu", type=int)
    ap.add_argument("--prefix", help="on-link prefix, e.g. fd01::/64")
    a = ap.parse_args()

    # type 134, code 0, checksum (kernel), cur hop limit 64, flags 0,
    # router lifetime, reachable time 0, retrans timer 0.
    msg = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, a.lifetime, 0, 0)
    msg += struct.pack("!BB", 1, 1) + mac_of(a.ifname)  # source link-layer address
    if a.mtu:
        msg += struct.pack("!BBHI", 5, 1, 0, a.mtu)
    if a.prefix:
        net = ipaddress.IPv6Network(a.prefix)
        msg += struct.pack("!BBBBIII", 3, 4, net.prefixlen, 0x80, 3600, 3600, 0)
        msg += net.network_address.packed

    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    idx = socket.if_nametoindex(a.ifname)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    s.sendto(msg, ("ff02::1", 0, 0, idx))
    return 0


if __name__ == "__main__":
    sys.exit(main())
