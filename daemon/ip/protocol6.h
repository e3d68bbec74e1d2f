// The seam between IPv6 and the protocols above it (ICMPv6, UDP, TCP): IPv6 input demultiplexes by the upper-layer protocol that ends
// the extension-header chain to an Ipv6ProtocolHandler, and ICMPv6 hands
// received errors to the handler of the quoted packet's protocol.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "l2/interface.h"

namespace stackd::ip {

// What IPv6 input knows about a packet it delivers.
struct Ipv6RxMeta {
  Ipv6Addr src, dst;
  uint8_t protocol = 0;  // the upper-layer protocol (after extension headers)
  uint8_t hop_limit = 0;
  uint8_t traffic_class = 0;
  uint16_t ifindex = 0;
  l2::LinkCast cast = l2::LinkCast::kUnicast;
  bool dst_multicast = false;
  bool reassembled = false;
  // The invoking packet from its IPv6 header on, as much as an ICMPv6
  // error may quote (RFC 4443 §2.4(c): the error fits 1280 bytes). Valid
  // only during the input() call.
  std::span<const uint8_t> quote;
};

// A received ICMPv6 error, as handed to the transport of the quoted packet.
struct Icmp6ErrorIn {
  uint8_t type = 0;   // 1 unreachable, 2 packet too big, 3 time exceeded, 4 parameter problem
  uint8_t code = 0;
  uint32_t info = 0;  // MTU for packet too big (already clamped to >= 1280), pointer for 4
  Ipv6Addr reporter;
  Ipv6Addr src, dst;  // of the quoted packet: we sent it
  uint8_t protocol = 0;
  std::span<const uint8_t> l4;  // the quoted transport bytes (at least 8)
};

class Ipv6ProtocolHandler {
 public:
  virtual ~Ipv6ProtocolHandler() = default;
  virtual void input(const Ipv6RxMeta& meta, buf::PacketBuf&& payload, Instant now) = 0;
  virtual void error(const Icmp6ErrorIn& err, Instant now) = 0;
  // The firewall rejected `segment` (this protocol's bytes, header first,
  // valid only during the call) with a reset (TCP: RFC 9293 §3.10.7.1, as
  // for a closed port). False: not done, IPv6 answers ICMPv6 port
  // unreachable instead.
  virtual bool send_reset(const Ipv6RxMeta& /*meta*/, std::span<const uint8_t> /*segment*/,
                          Instant /*now*/) {
    return false;
  }
  // True when the handler checks a Packet Too Big against its own state
  // (TCP: the quoted sequence number in a connection's window, RFC 8201
  // §5.2) and updates the path MTU cache itself; ICMPv6 then leaves the
  // cache alone, so a blind forgery cannot lower it.
  virtual bool validates_packet_too_big() const { return false; }
};

}  // namespace stackd::ip
