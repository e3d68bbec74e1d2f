// ICMPv6 (RFC 4443). Same 8-byte layout as ICMPv4; the checksum covers the
// IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1) with next header 58.
//
//  echo (128/129):       rest = identifier(16) sequence(16); data
//  packet too big (2):   rest = MTU(32); data = invoking packet
//  parameter problem (4): rest = pointer(32)
//  dest unreachable (1), time exceeded (3): rest unused
// Neighbour Discovery messages (133-137) are parsed by ndp.h.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <span>
#include <variant>

#include "base/expected.h"
#include "wire/checksum.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kIcmpv6HeaderLen = 8;

namespace icmpv6_type {
inline constexpr uint8_t kDestUnreachable = 1;
inline constexpr uint8_t kPacketTooBig = 2;
inline constexpr uint8_t kTimeExceeded = 3;
inline constexpr uint8_t kParamProblem = 4;
inline constexpr uint8_t kEchoRequest = 128;
inline constexpr uint8_t kEchoReply = 129;
inline constexpr uint8_t kMldQuery = 130;
inline constexpr uint8_t kMldReport = 131;
inline constexpr uint8_t kMldDone = 132;
inline constexpr uint8_t kRouterSolicit = 133;
inline constexpr uint8_t kRouterAdvert = 134;
inline constexpr uint8_t kNeighborSolicit = 135;
inline constexpr uint8_t kNeighborAdvert = 136;
inline constexpr uint8_t kRedirect = 137;
inline constexpr uint8_t kMldv2Report = 143;
constexpr bool is_error(uint8_t t) { return t < 128; }  // RFC 4443 §2.1
}  // namespace icmpv6_type

namespace icmpv6_unreach {  // RFC 4443 §3.1
inline constexpr uint8_t kNoRoute = 0;
inline constexpr uint8_t kAdminProhibited = 1;
inline constexpr uint8_t kBeyondScope = 2;
inline constexpr uint8_t kAddress = 3;
inline constexpr uint8_t kPort = 4;
inline constexpr uint8_t kSourcePolicy = 5;
inline constexpr uint8_t kRejectRoute = 6;
}  // namespace icmpv6_unreach

namespace icmpv6_param {  // RFC 4443 §3.4
inline constexpr uint8_t kErroneousHeader = 0;
inline constexpr uint8_t kUnknownNextHeader = 1;
inline constexpr uint8_t kUnknownOption = 2;
}  // namespace icmpv6_param

template <WireByte B = const uint8_t>
class Icmpv6View {
 public:
  static Expected<Icmpv6View> checked(std::span<B> bytes) {
    if (bytes.size() < kIcmpv6HeaderLen) return DropReason::kIcmpTruncated;
    return Icmpv6View(bytes);
  }
  explicit Icmpv6View(std::span<B> bytes) : b_(bytes) {}
  operator Icmpv6View<const uint8_t>() const { return Icmpv6View<const uint8_t>(b_); }

  uint8_t type() const { return b_[0]; }
  uint8_t code() const { return b_[1]; }
  uint16_t checksum() const { return load_be16(b_.data() + 2); }
  uint32_t rest() const { return load_be32(b_.data() + 4); }
  uint16_t echo_id() const { return load_be16(b_.data() + 4); }
  uint16_t echo_seq() const { return load_be16(b_.data() + 6); }
  std::span<B> data() const { return b_.subspan(kIcmpv6HeaderLen); }
  std::span<B> bytes() const { return b_; }
  bool verify_checksum(const Ipv6Addr& src, const Ipv6Addr& dst) const {
    return checksum_ok(b_, ipv6_pseudo_header_sum(src, dst, ip_proto::kIcmpv6,
                                                  static_cast<uint32_t>(b_.size())));
  }

  void set_type(uint8_t t) requires kMutable<B> { b_[0] = t; }
  void set_code(uint8_t c) requires kMutable<B> { b_[1] = c; }
  void set_checksum(uint16_t c) requires kMutable<B> { store_be16(b_.data() + 2, c); }
  void set_rest(uint32_t r) requires kMutable<B> { store_be32(b_.data() + 4, r); }
  void fill_checksum(const Ipv6Addr& src, const Ipv6Addr& dst) requires kMutable<B> {
    set_checksum(0);
    set_checksum(checksum_finish(checksum_add(
        ipv6_pseudo_header_sum(src, dst, ip_proto::kIcmpv6, static_cast<uint32_t>(b_.size())),
        checksum_partial(b_))));
  }

 private:
  std::span<B> b_;
};

template <class B>
Icmpv6View(std::span<B>) -> Icmpv6View<B>;

struct Icmpv6Echo {
  bool reply = false;
  uint16_t id = 0;
  uint16_t seq = 0;
  std::span<const uint8_t> data;
  bool operator==(const Icmpv6Echo& o) const {
    return reply == o.reply && id == o.id && seq == o.seq && std::ranges::equal(data, o.data);
  }
};
struct Icmpv6DestUnreachable {
  uint8_t code = 0;
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv6DestUnreachable& o) const {
    return code == o.code && std::ranges::equal(invoking, o.invoking);
  }
};
struct Icmpv6PacketTooBig {
  uint32_t mtu = 0;
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv6PacketTooBig& o) const {
    return mtu == o.mtu && std::ranges::equal(invoking, o.invoking);
  }
};
struct Icmpv6TimeExceeded {
  uint8_t code = 0;  // 0 hop limit, 1 reassembly
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv6TimeExceeded& o) const {
    return code == o.code && std::ranges::equal(invoking, o.invoking);
  }
};
struct Icmpv6ParamProblem {
  uint8_t code = 0;
  uint32_t pointer = 0;  // offset of the error in the invoking packet
  std::span<const uint8_t> invoking;
  bool operator==(const Icmpv6ParamProblem& o) const {
    return code == o.code && pointer == o.pointer && std::ranges::equal(invoking, o.invoking);
  }
};
// Every other type, raw (NDP and MLD included: see ndp.h).
struct Icmpv6Other {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;
  std::span<const uint8_t> data;
  bool operator==(const Icmpv6Other& o) const {
    return type == o.type && code == o.code && rest == o.rest && std::ranges::equal(data, o.data);
  }
};

struct Icmpv6Repr {
  std::variant<Icmpv6Echo, Icmpv6DestUnreachable, Icmpv6PacketTooBig, Icmpv6TimeExceeded,
               Icmpv6ParamProblem, Icmpv6Other>
      msg;

  // kIcmpTruncated below 8 bytes; kIcmpBadChecksum (pseudo-header of
  // src/dst, length = the span's) unless kSkip. `v` spans the whole message.
  static Expected<Icmpv6Repr> parse(Icmpv6View<const uint8_t> v, const Ipv6Addr& src,
                                    const Ipv6Addr& dst,
                                    ChecksumCheck check = ChecksumCheck::kVerify);
  static Expected<Icmpv6Repr> parse(std::span<const uint8_t> bytes, const Ipv6Addr& src,
                                    const Ipv6Addr& dst,
                                    ChecksumCheck check = ChecksumCheck::kVerify);
  static constexpr size_t header_len() { return kIcmpv6HeaderLen; }
  std::span<const uint8_t> data() const;
  size_t buffer_len() const { return header_len() + data().size(); }
  uint8_t type() const;
  uint8_t code() const;
  // `buf.size()` == buffer_len(); copies the data unless in place; checksum.
  void emit(std::span<uint8_t> buf, const Ipv6Addr& src, const Ipv6Addr& dst) const;
  bool operator==(const Icmpv6Repr&) const = default;
};

}  // namespace stackd::wire
