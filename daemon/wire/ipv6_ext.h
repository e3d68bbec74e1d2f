// IPv6 extension headers (RFC 8200 §4) and the header-chain walker.
//
//  Hop-by-Hop / Destination options (§4.3, §4.6):
//    0 next header  1 hdr ext len ((len+1)*8 bytes)  2 options (TLVs)...
//  Routing (§4.4):  0 next  1 len  2 routing type  3 segments left  4 data...
//  Fragment (§4.5): 0 next  1 reserved  2 offset(13) res(2) M(1)  4 identification
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <optional>
#include <span>

#include "base/expected.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kIpv6FragHeaderLen = 8;

// ---- Options TLVs (RFC 8200 §4.2) -------------------------------------------

namespace ipv6_opt {
inline constexpr uint8_t kPad1 = 0;
inline constexpr uint8_t kPadN = 1;
inline constexpr uint8_t kJumbo = 0xc2;        // RFC 2675
inline constexpr uint8_t kRouterAlert = 0x05;  // RFC 2711
}  // namespace ipv6_opt

// The two high-order bits of an option type: what to do when it is unknown.
enum class Ipv6OptAction : uint8_t {
  kSkip = 0,                 // 00: skip over this option
  kDiscard = 1,              // 01: discard the packet silently
  kDiscardIcmp = 2,          // 10: discard, ICMP Parameter Problem code 2
  kDiscardIcmpIfUnicast = 3  // 11: the same, only if dst was not multicast
};

struct Ipv6Option {
  uint8_t type = 0;
  std::span<const uint8_t> data;
  size_t offset = 0;  // of the type byte, from the start of the extension header
  Ipv6OptAction action() const { return static_cast<Ipv6OptAction>(type >> 6); }
  bool may_change_en_route() const { return (type & 0x20) != 0; }  // third bit
};

// Walks the TLVs of a Hop-by-Hop or Destination Options header, skipping
// Pad1 and PadN. `header` is the whole extension header (offsets count from
// its start; options begin at byte 2).
class Ipv6OptionReader {
 public:
  explicit Ipv6OptionReader(std::span<const uint8_t> header) : h_(header), pos_(2) {}
  // The next non-padding option; nullopt at the end or when an option runs
  // past the header (then malformed() is true).
  std::optional<Ipv6Option> next() {
    while (pos_ < h_.size()) {
      uint8_t type = h_[pos_];
      if (type == ipv6_opt::kPad1) {
        ++pos_;
        continue;
      }
      if (pos_ + 2 > h_.size() || pos_ + 2 + size_t{h_[pos_ + 1]} > h_.size()) {
        bad_ = true;
        pos_ = h_.size();
        return std::nullopt;
      }
      size_t len = h_[pos_ + 1];
      Ipv6Option o{type, h_.subspan(pos_ + 2, len), pos_};
      pos_ += 2 + len;
      if (type == ipv6_opt::kPadN) continue;
      return o;
    }
    return std::nullopt;
  }
  bool malformed() const { return bad_; }

 private:
  std::span<const uint8_t> h_;
  size_t pos_;
  bool bad_ = false;
};

// Hop-by-Hop (next header 0) or Destination Options (60) header.
struct Ipv6OptionsHeaderRepr {
  uint8_t next_header = 0;
  std::span<const uint8_t> options;  // TLV bytes, length % 8 == 6

  // kIp6Truncated if the header does not fit; kIp6BadExtHeader if a TLV
  // runs past its end.
  static Expected<Ipv6OptionsHeaderRepr> parse(std::span<const uint8_t> bytes);
  size_t header_len() const { return 2 + options.size(); }
  void emit(std::span<uint8_t> buf) const;  // buf.size() >= header_len()
  bool operator==(const Ipv6OptionsHeaderRepr& o) const {
    return next_header == o.next_header && std::ranges::equal(options, o.options);
  }
};

// ---- Routing header (RFC 8200 §4.4) ------------------------------------------

namespace ipv6_routing {
inline constexpr uint8_t kType0 = 0;  // deprecated by RFC 5095: must be rejected
inline constexpr uint8_t kType2 = 2;  // Mobile IPv6 (RFC 6275)
inline constexpr uint8_t kSrh = 4;    // Segment Routing (RFC 8754)
}  // namespace ipv6_routing

struct Ipv6RoutingRepr {
  uint8_t next_header = 0;
  uint8_t routing_type = 0;
  uint8_t segments_left = 0;
  std::span<const uint8_t> data;  // type-specific, from byte 4; length % 8 == 4

  static Expected<Ipv6RoutingRepr> parse(std::span<const uint8_t> bytes);
  size_t header_len() const { return 4 + data.size(); }
  void emit(std::span<uint8_t> buf) const;
  bool operator==(const Ipv6RoutingRepr& o) const {
    return next_header == o.next_header && routing_type == o.routing_type &&
           segments_left == o.segments_left && std::ranges::equal(data, o.data);
  }
};

// ---- Fragment header (RFC 8200 §4.5) -----------------------------------------

template <WireByte B = const uint8_t>
class Ipv6FragView {
 public:
  static Expected<Ipv6FragView> checked(std::span<B> bytes) {
    if (bytes.size() < kIpv6FragHeaderLen) return DropReason::kIp6Truncated;
    return Ipv6FragView(bytes);
  }
  explicit Ipv6FragView(std::span<B> bytes) : b_(bytes) {}
  uint8_t next_header() const { return b_[0]; }
  uint16_t frag_offset() const { return load_be16(b_.data() + 2) & 0xfff8; }  // bytes
  bool more_frags() const { return (b_[3] & 1) != 0; }
  uint32_t ident() const { return load_be32(b_.data() + 4); }
  std::span<B> payload() const { return b_.subspan(kIpv6FragHeaderLen); }

 private:
  std::span<B> b_;
};

template <class B>
Ipv6FragView(std::span<B>) -> Ipv6FragView<B>;

struct Ipv6FragRepr {
  uint8_t next_header = 0;
  uint16_t frag_offset = 0;  // bytes, a multiple of 8
  bool more_frags = false;
  uint32_t ident = 0;

  static Expected<Ipv6FragRepr> parse(std::span<const uint8_t> bytes);
  static constexpr size_t header_len() { return kIpv6FragHeaderLen; }
  void emit(std::span<uint8_t> buf) const;
  bool operator==(const Ipv6FragRepr&) const = default;
};

// ---- Header chain -------------------------------------------------------------

// True for the next-header values the walker steps over.
constexpr bool is_ipv6_ext_header(uint8_t nh) {
  return nh == ip_proto::kHopByHop || nh == ip_proto::kIpv6Route || nh == ip_proto::kIpv6Frag ||
         nh == ip_proto::kIpv6Opts || nh == ip_proto::kAh;
}

inline constexpr size_t kIpv6MaxExtHeaders = 8;
inline constexpr size_t kIpv6MaxChainLen = 512;

struct Ipv6ExtEntry {
  uint8_t type = 0;     // the next-header value that named this header
  uint16_t offset = 0;  // from the start of the IPv6 payload
  uint16_t len = 0;
};

struct Ipv6Chain {
  uint8_t upper_protocol = 0;  // next header after the last extension header
  size_t upper_offset = 0;     // where it starts in the IPv6 payload
  // True when a Fragment header with a non-zero offset ended the walk: what
  // follows it is fragment data, not a header.
  bool non_first_fragment = false;
  std::array<Ipv6ExtEntry, kIpv6MaxExtHeaders> ext{};
  uint8_t ext_count = 0;

  std::span<const Ipv6ExtEntry> headers() const { return {ext.data(), ext_count}; }
  const Ipv6ExtEntry* find(uint8_t type) const {
    for (const auto& e : headers())
      if (e.type == type) return &e;
    return nullptr;
  }
};

// Walks the extension headers of `payload` (the IPv6 payload, starting with
// the header named by `next_header`). Stops at the first non-extension
// header (also No Next Header, 59) or after a non-first fragment's header.
// Errors: a header that does not fit (kIp6Truncated); Hop-by-Hop anywhere but
// first (RFC 8200 §4.1, kIp6BadExtHeader); more than `max_headers` headers or
// a chain longer than `max_len` bytes (kIp6ExtChainTooLong).
Expected<Ipv6Chain> walk_ipv6_chain(uint8_t next_header, std::span<const uint8_t> payload,
                                    size_t max_headers = kIpv6MaxExtHeaders,
                                    size_t max_len = kIpv6MaxChainLen);

}  // namespace stackd::wire
