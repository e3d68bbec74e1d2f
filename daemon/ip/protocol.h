// The seam between IPv4 and the protocols above it (ICMP, UDP, TCP later):
// IPv4 input demultiplexes by protocol number to an Ipv4ProtocolHandler
// (one virtual call per datagram), and ICMP hands received errors to the
// handler of the quoted datagram's protocol.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "l2/interface.h"

namespace stackd::ip {

// What IPv4 input knows about a datagram it delivers.
struct Ipv4RxMeta {
  Ipv4Addr src, dst;
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  uint8_t tos = 0;
  uint16_t ifindex = 0;
  l2::LinkCast cast = l2::LinkCast::kUnicast;
  bool dst_broadcast = false;  // limited or subnet-directed broadcast
  bool dst_multicast = false;
  bool reassembled = false;
  // The IP header followed by the first bytes of the datagram (at least 8
  // when the datagram has them): what an ICMP error about this datagram
  // quotes (RFC 792; RFC 1812 §4.3.2.3 allows up to 576 bytes in all).
  // Valid only during the input() call.
  std::span<const uint8_t> quote;

  // May an ICMP error be sent about this datagram? (RFC 1122 §3.2.2: not
  // for broadcast/multicast at IP or link level.) The source checks are
  // Icmpv4::send_error's.
  bool is_broadcast_or_multicast() const {
    return dst_broadcast || dst_multicast || cast != l2::LinkCast::kUnicast;
  }
};

// A received ICMP error, as handed to the transport of the quoted datagram.
struct IcmpErrorIn {
  uint8_t type = 0;   // 3 destination unreachable, 11 time exceeded, 12 parameter problem
  uint8_t code = 0;
  uint32_t info = 0;  // next-hop MTU for type 3 code 4 (RFC 1191), pointer for type 12
  Ipv4Addr reporter;  // who sent the ICMP message
  // The quoted datagram: we sent it, so src is ours and dst the peer.
  Ipv4Addr src, dst;
  uint8_t protocol = 0;
  std::span<const uint8_t> l4;  // the quoted transport bytes (at least 8)
};

class Ipv4ProtocolHandler {
 public:
  virtual ~Ipv4ProtocolHandler() = default;
  // A datagram for us: `payload` starts at the transport header.
  virtual void input(const Ipv4RxMeta& meta, buf::PacketBuf&& payload, Instant now) = 0;
  // An ICMP error about a datagram of this protocol that we sent.
  virtual void error(const IcmpErrorIn& err, Instant now) = 0;
};

// Raw sockets (transport/raw.h, raw(7)): a copy of every datagram IPv4
// delivers locally, after the firewall's input hook and reassembly, before
// (and independently of) the protocol's own handler.
class Ipv4RawTap {
 public:
  virtual ~Ipv4RawTap() = default;
  // `header`: the IP header as received (options included; a reassembled
  // datagram's is its first fragment's). `payload`: the transport bytes.
  // Both valid only during the call. True when a raw socket took a copy
  // (then an unknown protocol is no "protocol unreachable", as Linux).
  virtual bool deliver(const Ipv4RxMeta& meta, std::span<const uint8_t> header,
                       std::span<const uint8_t> payload, Instant now) = 0;
};

}  // namespace stackd::ip
