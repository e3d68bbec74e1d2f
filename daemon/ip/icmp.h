// ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): answers echo requests, counts
// and dispatches received errors to the transport of the quoted datagram,
// and generates destination unreachable / time exceeded errors with the
// rules of RFC 1122 §3.2.2 and rate limiting (icmp_rate_limit.h).
#pragma once

#include <cstdint>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "ip/icmp_rate_limit.h"
#include "ip/protocol.h"

namespace stackd::ip {

class Ipv4Layer;

class Icmpv4 final : public Ipv4ProtocolHandler {
 public:
  Icmpv4(Ipv4Layer& ip, const IcmpRateLimiter::Config& rl, Counters& counters, DropStats& drops)
      : ip_(ip), rate_(rl), counters_(counters), drops_(drops) {}

  void input(const Ipv4RxMeta& meta, buf::PacketBuf&& msg, Instant now) override;
  // Errors about ICMP messages we sent (there are no ping sockets yet).
  void error(const IcmpErrorIn&, Instant) override {}

  // Send an ICMP error of `type`/`code` about the datagram `about` (its
  // quote), with `rest` as the 32-bit rest-of-header (the RFC 1191 MTU for
  // fragmentation needed). Returns false when the rules of RFC 1122 §3.2.2
  // forbid it, it is rate limited, or it could not be sent.
  bool send_error(uint8_t type, uint8_t code, uint32_t rest, const Ipv4RxMeta& about,
                  Instant now);
  bool send_dest_unreachable(uint8_t code, const Ipv4RxMeta& about, Instant now,
                             uint16_t next_hop_mtu = 0) {
    return send_error(3, code, next_hop_mtu, about, now);
  }
  bool send_time_exceeded(uint8_t code, const Ipv4RxMeta& about, Instant now) {
    return send_error(11, code, 0, about, now);
  }

  // RFC 792 query types (never errors); everything else is an error message.
  static bool is_query_type(uint8_t type);

  static constexpr uint32_t kMaxErrorLen = 576;  // RFC 1812 §4.3.2.3: IP + ICMP + quote

 private:
  void echo_reply(const Ipv4RxMeta& meta, buf::PacketBuf&& msg, Instant now);
  void dispatch_error(const Ipv4RxMeta& meta, uint8_t type, uint8_t code, uint32_t rest,
                      std::span<const uint8_t> invoking, Instant now);
  bool error_allowed(const Ipv4RxMeta& about) const;

  Ipv4Layer& ip_;
  IcmpRateLimiter rate_;
  Counters& counters_;
  DropStats& drops_;
};

}  // namespace stackd::ip
