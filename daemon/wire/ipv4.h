// IPv4 header (RFC 791 §3.1).
//
//  0 ver/IHL  1 DSCP/ECN  2 total length  4 identification  6 flags/frag offset
//  8 TTL  9 protocol  10 checksum  12 source  16 destination  20 options...
//
// Options are skipped safely: header_len() comes from IHL and the option bytes
// are exposed as a span, never interpreted here.
#pragma once

#include <cassert>
#include <cstdint>
#include <span>

#include "base/expected.h"
#include "wire/checksum.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kIpv4MinHeaderLen = 20;
inline constexpr size_t kIpv4MaxHeaderLen = 60;
inline constexpr uint16_t kIpv4FlagDf = 0x4000;
inline constexpr uint16_t kIpv4FlagMf = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

template <WireByte B = const uint8_t>
class Ipv4View {
 public:
  // The structural checks of RFC 1122 §3.2.1, in its order:
  //   fewer than 20 bytes                  -> kIpTruncated
  //   version != 4 (§3.2.1.1)              -> kIpBadVersion
  //   IHL < 5                              -> kIpBadIhl
  //   IHL*4 > bytes                        -> kIpTruncated
  //   total length < IHL*4 or > bytes      -> kIpBadTotalLength
  // The checksum (§3.2.1.2) is checked by Ipv4Repr::parse.
  static Expected<Ipv4View> checked(std::span<B> bytes) {
    if (bytes.size() < kIpv4MinHeaderLen) return DropReason::kIpTruncated;
    Ipv4View v(bytes);
    if (v.version() != 4) return DropReason::kIpBadVersion;
    if (v.ihl() < 5) return DropReason::kIpBadIhl;
    if (v.header_len() > bytes.size()) return DropReason::kIpTruncated;
    if (v.total_len() < v.header_len() || v.total_len() > bytes.size())
      return DropReason::kIpBadTotalLength;
    return v;
  }
  explicit Ipv4View(std::span<B> bytes) : b_(bytes) {}
  operator Ipv4View<const uint8_t>() const { return Ipv4View<const uint8_t>(b_); }

  uint8_t version() const { return b_[0] >> 4; }
  uint8_t ihl() const { return b_[0] & 0x0f; }
  size_t header_len() const { return size_t{ihl()} * 4; }
  uint8_t dscp() const { return b_[1] >> 2; }
  uint8_t ecn() const { return b_[1] & 0x03; }
  uint16_t total_len() const { return load_be16(b_.data() + 2); }
  uint16_t ident() const { return load_be16(b_.data() + 4); }
  bool dont_frag() const { return (load_be16(b_.data() + 6) & kIpv4FlagDf) != 0; }
  bool more_frags() const { return (load_be16(b_.data() + 6) & kIpv4FlagMf) != 0; }
  // In bytes (the field counts 8-byte units).
  uint16_t frag_offset() const {
    return static_cast<uint16_t>((load_be16(b_.data() + 6) & kIpv4FragOffsetMask) * 8);
  }
  bool is_fragment() const { return more_frags() || frag_offset() != 0; }
  uint8_t ttl() const { return b_[8]; }
  uint8_t protocol() const { return b_[9]; }
  uint16_t checksum() const { return load_be16(b_.data() + 10); }
  Ipv4Addr src() const { return load_ipv4(b_.data() + 12); }
  Ipv4Addr dst() const { return load_ipv4(b_.data() + 16); }
  std::span<B> options() const { return b_.subspan(kIpv4MinHeaderLen, header_len() - kIpv4MinHeaderLen); }
  std::span<B> header() const { return b_.first(header_len()); }
  // total_len - header_len bytes: link-layer padding after total_len is cut off.
  std::span<B> payload() const { return b_.subspan(header_len(), total_len() - header_len()); }
  bool verify_checksum() const { return checksum_ok(header()); }

  void set_dscp_ecn(uint8_t dscp, uint8_t ecn) requires kMutable<B> {
    b_[1] = static_cast<uint8_t>((dscp << 2) | (ecn & 3));
  }
  void set_total_len(uint16_t v) requires kMutable<B> { store_be16(b_.data() + 2, v); }
  void set_ident(uint16_t v) requires kMutable<B> { store_be16(b_.data() + 4, v); }
  void set_ttl(uint8_t v) requires kMutable<B> { b_[8] = v; }
  void set_protocol(uint8_t v) requires kMutable<B> { b_[9] = v; }
  void set_checksum(uint16_t v) requires kMutable<B> { store_be16(b_.data() + 10, v); }
  void set_src(Ipv4Addr a) requires kMutable<B> { store_ipv4(b_.data() + 12, a); }
  void set_dst(Ipv4Addr a) requires kMutable<B> { store_ipv4(b_.data() + 16, a); }
  // Recomputes the header checksum over header_len() bytes.
  void fill_checksum() requires kMutable<B> {
    set_checksum(0);
    set_checksum(internet_checksum(header()));
  }
  // Forwarding-style TTL decrement with an RFC 1624 incremental update.
  void decrement_ttl() requires kMutable<B> {
    uint16_t old_word = load_be16(b_.data() + 8);
    b_[8] = static_cast<uint8_t>(b_[8] - 1);
    set_checksum(checksum_update16(checksum(), old_word, load_be16(b_.data() + 8)));
  }

 private:
  std::span<B> b_;
};

template <class B>
Ipv4View(std::span<B>) -> Ipv4View<B>;

struct Ipv4Repr {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint16_t payload_len = 0;  // total length - header length
  uint16_t ident = 0;
  uint8_t dscp = 0;          // 6 bits (emit masks)
  uint8_t ecn = 0;           // 2 bits (emit masks)
  bool dont_frag = false;
  bool more_frags = false;
  uint16_t frag_offset = 0;  // bytes, a multiple of 8

  // Structural checks (Ipv4View::checked), then the header checksum
  // (kIpBadChecksum) unless `check` is kSkip (RX checksum offload).
  // Options are skipped; the repr carries none.
  static Expected<Ipv4Repr> parse(Ipv4View<const uint8_t> v, ChecksumCheck check = ChecksumCheck::kVerify);
  static Expected<Ipv4Repr> parse(std::span<const uint8_t> bytes,
                                  ChecksumCheck check = ChecksumCheck::kVerify);
  static constexpr size_t header_len() { return kIpv4MinHeaderLen; }
  size_t total_len() const { return header_len() + payload_len; }
  // Writes a 20-byte header (no options) with its checksum at the front of
  // `buf`; the payload follows. payload_len must be <= 65515.
  void emit(std::span<uint8_t> buf) const;
  bool operator==(const Ipv4Repr&) const = default;
};

}  // namespace stackd::wire
