// ICMPv6 (RFC 4443): echo replies, received errors counted and handed to
// the transport of the quoted packet (Packet Too Big also lowers the path
// MTU, RFC 8201), Neighbor Discovery messages passed down to l2, and
// errors generated with the rules of RFC 4443 §2.4: never about an ICMPv6
// error, a multicast/link-multicast packet (except Packet Too Big and
// parameter problem code 2 for an option of type 10xxxxxx), or a source
// that does not name one node; rate limited (§2.4(f), icmp_rate_limit.h);
// as much of the invoking packet as fits 1280 bytes (§2.4(c)).
#pragma once

#include <cstdint>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "ip/icmp_rate_limit.h"
#include "ip/protocol6.h"

namespace stackd::ip {

class Ipv6Layer;

class Icmpv6 final : public Ipv6ProtocolHandler {
 public:
  Icmpv6(Ipv6Layer& ip, const IcmpRateLimiter::Config& rl, Counters& counters, DropStats& drops)
      : ip_(ip), rate_(rl), counters_(counters), drops_(drops) {}

  // `meta.quote` must hold the IPv6 header (ND needs its hop limit check
  // through meta.hop_limit; the layer sets it).
  void input(const Ipv6RxMeta& meta, buf::PacketBuf&& msg, Instant now) override;
  void error(const Icmp6ErrorIn&, Instant) override {}

  // Send an error of `type`/`code` with `rest` (MTU or pointer) about
  // `about`. False when §2.4 forbids it, it is rate limited or unsent.
  // `multicast_ok`: the §2.4(e.3) exceptions (Packet Too Big, parameter
  // problem code 2 for an option whose type starts with bits 10).
  bool send_error(uint8_t type, uint8_t code, uint32_t rest, const Ipv6RxMeta& about, Instant now,
                  bool multicast_ok = false);
  bool send_param_problem(uint8_t code, uint32_t pointer, const Ipv6RxMeta& about, Instant now,
                          bool multicast_ok = false);
  bool send_dest_unreachable(uint8_t code, const Ipv6RxMeta& about, Instant now);
  bool send_time_exceeded(uint8_t code, const Ipv6RxMeta& about, Instant now);

  static constexpr uint32_t kMaxErrorLen = 1280;  // RFC 4443 §2.4(c): whole packet

 private:
  void echo_reply(const Ipv6RxMeta& meta, buf::PacketBuf&& msg, Instant now);
  void dispatch_error(const Ipv6RxMeta& meta, uint8_t type, uint8_t code, uint32_t rest,
                      std::span<const uint8_t> invoking, Instant now);
  bool error_allowed(const Ipv6RxMeta& about, bool multicast_ok) const;

  Ipv6Layer& ip_;
  IcmpRateLimiter rate_;
  Counters& counters_;
  DropStats& drops_;
};

}  // namespace stackd::ip
