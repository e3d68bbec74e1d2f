// ICMP for IPv4 (RFC 792), with the RFC 1191 next-hop MTU.
//
//  0 type  1 code  2 checksum  4 rest of header (4 bytes)  8 data...
//  echo:        rest = identifier(16) sequence(16); data = echo data
//  unreachable: rest = unused(16) next-hop MTU(16) (code 4, RFC 1191 §4)
//  param prob:  rest = pointer(8) unused(24)
//  errors:      data = the invoking datagram (IP header + at least 8 bytes)
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <span>
#include <variant>

#include "base/expected.h"
#include "wire/checksum.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kIcmpv4HeaderLen = 8;

namespace icmpv4_type {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kDestUnreachable = 3;
inline constexpr uint8_t kSourceQuench = 4;  // deprecated, RFC 6633
inline constexpr uint8_t kRedirect = 5;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kRouterAdvert = 9;
inline constexpr uint8_t kRouterSolicit = 10;
inline constexpr uint8_t kTimeExceeded = 11;
inline constexpr uint8_t kParamProblem = 12;
inline constexpr uint8_t kTimestamp = 13;
inline constexpr uint8_t kTimestampReply = 14;
}  // namespace icmpv4_type

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
namespace icmpv4_unreach {
inline constexpr uint8_t kNet = 0;
inline constexpr uint8_t kHost = 1;
inline constexpr uint8_t kProtocol = 2;
inline constexpr uint8_t kPort = 3;
inline constexpr uint8_t kFragNeeded = 4;  // RFC 1191: carries the next-hop MTU
inline constexpr uint8_t kSourceRouteFailed = 5;
inline constexpr uint8_t kNetUnknown = 6;
inline constexpr uint8_t kHostUnknown = 7;
inline constexpr uint8_t kNetProhibited = 9;
inline constexpr uint8_t kHostProhibited = 10;
inline constexpr uint8_t kAdminProhibited = 13;
}  // namespace icmpv4_unreach

// Time exceeded codes.
namespace icmpv4_time_exceeded {
inline constexpr uint8_t kTtl = 0;
inline constexpr uint8_t kFragReassembly = 1;
}  // namespace icmpv4_time_exceeded

template <WireByte B = const uint8_t>
class Icmpv4View {
 public:
  static Expected<Icmpv4View> checked(std::span<B> bytes) {
    if (bytes.size() < kIcmpv4HeaderLen) return DropReason::kIcmpTruncated;
    return Icmpv4View(bytes);
  }
  explicit Icmpv4View(std::span<B> bytes) : b_(bytes) {}
  operator Icmpv4View<const uint8_t>() const { return Icmpv4View<const uint8_t>(b_); }

  uint8_t type() const { return b_[0]; }
  uint8_t code() const { return b_[1]; }
  uint16_t checksum() const { return load_be16(b_.data() + 2); }
  uint32_t rest() const { return load_be32(b_.data() + 4); }
  uint16_t echo_id() const { return load_be16(b_.data() + 4); }
  uint16_t echo_seq() const { return load_be16(b_.data() + 6); }
  uint16_t next_hop_mtu() const { return load_be16(b_.data() + 6); }
  uint8_t pointer() const { return b_[4]; }
  // Echo data, or the invoking datagram of an error message.
  std::span<B> data() const { return b_.subspan(kIcmpv4HeaderLen); }
  std::span<B> bytes() const { return b_; }
  // The checksum covers the whole ICMP message (RFC 792).
  bool verify_checksum() const { return checksum_ok(b_); }

  void set_type(uint8_t t) requires kMutable<B> { b_[0] = t; }
  void set_code(uint8_t c) requires kMutable<B> { b_[1] = c; }
  void set_checksum(uint16_t c) requires kMutable<B> { store_be16(b_.data() + 2, c); }
  void set_rest(uint32_t r) requires kMutable<B> { store_be32(b_.data() + 4, r); }
  void fill_checksum() requires kMutable<B> {
    set_checksum(0);
    set_checksum(internet_checksum(b_));
  }

 private:
  std::span<B> b_;
};

template <class B>
Icmpv4View(std::span<B>) -> Icmpv4View<B>;

inline bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return std::ranges::equal(a, b);
}

// The messages the stack acts on; reprs borrow their data from the parsed buffer.
// Echo request/reply (RFC 792). The code is 0 on emit and ignored on parse.
struct Icmpv4Echo {
  bool reply = false;
  uint16_t id = 0;
  uint16_t seq = 0;
  std::span<const uint8_t> data;
  bool operator==(const Icmpv4Echo& o) const {
    return reply == o.reply && id == o.id && seq == o.seq && same_bytes(data, o.data);
  }
};
struct Icmpv4DestUnreachable {
  uint8_t code = 0;
  uint16_t next_hop_mtu = 0;  // RFC 1191; meaningful for code 4, emitted as 0 otherwise
  std::span<const uint8_t> invoking;  // IP header + leading payload bytes
  bool operator==(const Icmpv4DestUnreachable& o) const {
    return code == o.code && next_hop_mtu == o.next_hop_mtu && same_bytes(invoking, o.invoking);
  }
};
struct Icmpv4TimeExceeded {
  uint8_t code = 0;
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv4TimeExceeded& o) const {
    return code == o.code && same_bytes(invoking, o.invoking);
  }
};
struct Icmpv4ParamProblem {
  uint8_t code = 0;
  uint8_t pointer = 0;  // octet of the invoking header in error
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv4ParamProblem& o) const {
    return code == o.code && pointer == o.pointer && same_bytes(invoking, o.invoking);
  }
};
// Every other type, raw (parse never produces one of the types above here).
struct Icmpv4Other {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;
  std::span<const uint8_t> data;
  bool operator==(const Icmpv4Other& o) const {
    return type == o.type && code == o.code && rest == o.rest && same_bytes(data, o.data);
  }
};

struct Icmpv4Repr {
  std::variant<Icmpv4Echo, Icmpv4DestUnreachable, Icmpv4TimeExceeded, Icmpv4ParamProblem,
               Icmpv4Other>
      msg;

  // kIcmpTruncated below 8 bytes; kIcmpBadChecksum unless `check` is kSkip.
  // `v` must span exactly the ICMP message (the IP payload).
  static Expected<Icmpv4Repr> parse(Icmpv4View<const uint8_t> v,
                                    ChecksumCheck check = ChecksumCheck::kVerify);
  static Expected<Icmpv4Repr> parse(std::span<const uint8_t> bytes,
                                    ChecksumCheck check = ChecksumCheck::kVerify);
  static constexpr size_t header_len() { return kIcmpv4HeaderLen; }
  std::span<const uint8_t> data() const;
  size_t buffer_len() const { return header_len() + data().size(); }
  uint8_t type() const;
  uint8_t code() const;
  // `buf.size()` must be buffer_len(); copies the data (unless it already
  // lives at buf+8) and fills the checksum.
  void emit(std::span<uint8_t> buf) const;
  bool operator==(const Icmpv4Repr&) const = default;
};

}  // namespace stackd::wire
