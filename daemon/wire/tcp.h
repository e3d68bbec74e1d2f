// TCP header (RFC 9293 §3.1) and its options.
//
//  0 src port  2 dst port  4 sequence  8 acknowledgment  12 offset/reserved
//  13 flags (CWR ECE URG ACK PSH RST SYN FIN)  14 window  16 checksum  18 urgent
//  20 options... (data offset * 4)
//
// Options: EOL (0), NOP (1), MSS (2, RFC 9293 §3.2), window scale (3,
// RFC 7323 §2), SACK-permitted (4) and SACK (5, RFC 2018), timestamps (8,
// RFC 7323 §3). Any other kind is kept raw (up to kTcpMaxUnknownOptions,
// further ones skipped). An option whose length is illegal is a drop
// (kTcpBadOptions; RFC 9293 §3.2 MUST-7 lets the receiver refuse it).
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <optional>
#include <span>

#include "base/expected.h"
#include "wire/checksum.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kTcpMinHeaderLen = 20;
inline constexpr size_t kTcpMaxHeaderLen = 60;
inline constexpr size_t kTcpMaxOptionsLen = 40;
inline constexpr size_t kTcpMaxSackBlocks = 4;
inline constexpr size_t kTcpMaxUnknownOptions = 4;
inline constexpr uint8_t kTcpMaxWindowScale = 14;  // RFC 7323 §2.3

namespace tcp_flag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;  // RFC 3168
inline constexpr uint8_t kCwr = 0x80;  // RFC 3168
}  // namespace tcp_flag

namespace tcp_opt {
inline constexpr uint8_t kEol = 0;
inline constexpr uint8_t kNop = 1;
inline constexpr uint8_t kMss = 2;
inline constexpr uint8_t kWindowScale = 3;
inline constexpr uint8_t kSackPermitted = 4;
inline constexpr uint8_t kSack = 5;
inline constexpr uint8_t kTimestamps = 8;
}  // namespace tcp_opt

template <WireByte B = const uint8_t>
class TcpView {
 public:
  // 20 bytes (kTcpTruncated); data offset >= 5 (kTcpBadOffset); the header
  // the offset announces must fit in the bytes (kTcpTruncated).
  static Expected<TcpView> checked(std::span<B> bytes) {
    if (bytes.size() < kTcpMinHeaderLen) return DropReason::kTcpTruncated;
    TcpView v(bytes);
    if (v.data_offset() < 5) return DropReason::kTcpBadOffset;
    if (v.header_len() > bytes.size()) return DropReason::kTcpTruncated;
    return v;
  }
  explicit TcpView(std::span<B> bytes) : b_(bytes) {}
  operator TcpView<const uint8_t>() const { return TcpView<const uint8_t>(b_); }

  uint16_t src_port() const { return load_be16(b_.data()); }
  uint16_t dst_port() const { return load_be16(b_.data() + 2); }
  uint32_t seq() const { return load_be32(b_.data() + 4); }
  uint32_t ack() const { return load_be32(b_.data() + 8); }
  uint8_t data_offset() const { return b_[12] >> 4; }
  size_t header_len() const { return size_t{data_offset()} * 4; }
  uint8_t flags() const { return b_[13]; }
  bool fin() const { return flags() & tcp_flag::kFin; }
  bool syn() const { return flags() & tcp_flag::kSyn; }
  bool rst() const { return flags() & tcp_flag::kRst; }
  bool psh() const { return flags() & tcp_flag::kPsh; }
  bool has_ack() const { return flags() & tcp_flag::kAck; }
  bool urg() const { return flags() & tcp_flag::kUrg; }
  uint16_t window() const { return load_be16(b_.data() + 14); }
  uint16_t checksum() const { return load_be16(b_.data() + 16); }
  uint16_t urgent() const { return load_be16(b_.data() + 18); }
  std::span<B> options() const { return b_.subspan(kTcpMinHeaderLen, header_len() - kTcpMinHeaderLen); }
  std::span<B> payload() const { return b_.subspan(header_len()); }
  std::span<B> bytes() const { return b_; }
  // Segment length for the pseudo-header: the whole span (the IP payload).
  bool verify_checksum(const IpAddr& src, const IpAddr& dst) const {
    return checksum_ok(b_, pseudo_header_sum(src, dst, ip_proto::kTcp, static_cast<uint32_t>(b_.size())));
  }

  void set_src_port(uint16_t p) requires kMutable<B> { store_be16(b_.data(), p); }
  void set_dst_port(uint16_t p) requires kMutable<B> { store_be16(b_.data() + 2, p); }
  void set_seq(uint32_t s) requires kMutable<B> { store_be32(b_.data() + 4, s); }
  void set_ack(uint32_t a) requires kMutable<B> { store_be32(b_.data() + 8, a); }
  void set_flags(uint8_t f) requires kMutable<B> { b_[13] = f; }
  void set_window(uint16_t w) requires kMutable<B> { store_be16(b_.data() + 14, w); }
  void set_checksum(uint16_t c) requires kMutable<B> { store_be16(b_.data() + 16, c); }
  void set_urgent(uint16_t u) requires kMutable<B> { store_be16(b_.data() + 18, u); }
  void fill_checksum(const IpAddr& src, const IpAddr& dst) requires kMutable<B> {
    set_checksum(0);
    set_checksum(checksum_finish(checksum_add(
        pseudo_header_sum(src, dst, ip_proto::kTcp, static_cast<uint32_t>(b_.size())),
        checksum_partial(b_))));
  }

 private:
  std::span<B> b_;
};

template <class B>
TcpView(std::span<B>) -> TcpView<B>;

struct TcpSackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number just after the block
  bool operator==(const TcpSackBlock&) const = default;
};

struct TcpTimestamps {
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

// An option of a kind we do not interpret; data borrows the parsed bytes.
struct TcpUnknownOption {
  uint8_t kind = 0;
  std::span<const uint8_t> data;  // without kind and length bytes, <= 38 bytes
  bool operator==(const TcpUnknownOption& o) const {
    return kind == o.kind && std::ranges::equal(data, o.data);
  }
};

struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // raw shift count; the TCP layer caps it at 14
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  uint8_t sack_count = 0;  // <= kTcpMaxSackBlocks
  std::array<TcpSackBlock, kTcpMaxSackBlocks> sack{};
  uint8_t unknown_count = 0;  // <= kTcpMaxUnknownOptions
  std::array<TcpUnknownOption, kTcpMaxUnknownOptions> unknown{};

  std::span<const TcpSackBlock> sack_blocks() const { return {sack.data(), sack_count}; }
  std::span<const TcpUnknownOption> unknown_options() const { return {unknown.data(), unknown_count}; }

  // Walks the option bytes: EOL ends the list, NOP is skipped, every other
  // option needs a length byte >= 2 that stays inside the span and, for the
  // kinds we know, the length its RFC gives. Anything else: kTcpBadOptions.
  // A repeated option keeps its last value.
  static Expected<TcpOptions> parse(std::span<const uint8_t> opts);
  // Bytes emit() writes, padded to a multiple of 4. Uses the aligned layout
  // (NOP-padded as Linux sends it: NOP NOP TS, NOP WS, ...) when it fits in
  // 40 bytes, else the compact one.
  size_t emitted_len() const;
  void emit(std::span<uint8_t> out) const;  // out.size() == emitted_len()
  bool operator==(const TcpOptions& o) const;

 private:
  size_t aligned_len() const;
  size_t compact_len() const;
};

struct TcpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;  // meaningful when flags has kAck (emitted as is)
  uint8_t flags = 0;
  uint16_t window = 0;  // raw field, unscaled
  uint16_t urgent = 0;
  TcpOptions options;
  uint32_t payload_len = 0;

  // TcpView::checked, then the checksum over the pseudo-header (the segment
  // length is the span's length) unless kSkip, then the options.
  static Expected<TcpRepr> parse(TcpView<const uint8_t> v, const IpAddr& src, const IpAddr& dst,
                                 ChecksumCheck check = ChecksumCheck::kVerify);
  static Expected<TcpRepr> parse(std::span<const uint8_t> bytes, const IpAddr& src,
                                 const IpAddr& dst, ChecksumCheck check = ChecksumCheck::kVerify);
  size_t header_len() const { return kTcpMinHeaderLen + options.emitted_len(); }
  size_t buffer_len() const { return header_len() + payload_len; }
  // `buf` is the whole segment (exactly buffer_len() bytes, payload already
  // at buf+header_len()); writes header, options and checksum.
  void emit(std::span<uint8_t> buf, const IpAddr& src, const IpAddr& dst) const;
  bool operator==(const TcpRepr&) const = default;
};

}  // namespace stackd::wire
