// UDP (RFC 768).
//
//  0 source port  2 destination port  4 length  6 checksum  8 data...
//
// The checksum covers a pseudo-header (IPv4: RFC 768; IPv6: RFC 8200 §8.1),
// the header and the data. Over IPv4 a zero checksum means "none"; over IPv6
// it is not allowed (RFC 8200 §8.1). A computed sum of 0 is sent as 0xffff.
#pragma once

#include <cassert>
#include <cstdint>
#include <span>

#include "base/expected.h"
#include "wire/checksum.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kUdpHeaderLen = 8;

template <WireByte B = const uint8_t>
class UdpView {
 public:
  // The one length check: 8 bytes (kUdpTruncated), the length field at least
  // 8 (kUdpBadLength) and no longer than the bytes we have (kUdpTruncated).
  static Expected<UdpView> checked(std::span<B> bytes) {
    if (bytes.size() < kUdpHeaderLen) return DropReason::kUdpTruncated;
    UdpView v(bytes);
    if (v.length() < kUdpHeaderLen) return DropReason::kUdpBadLength;
    if (v.length() > bytes.size()) return DropReason::kUdpTruncated;
    return v;
  }
  explicit UdpView(std::span<B> bytes) : b_(bytes) {}
  operator UdpView<const uint8_t>() const { return UdpView<const uint8_t>(b_); }

  uint16_t src_port() const { return load_be16(b_.data()); }
  uint16_t dst_port() const { return load_be16(b_.data() + 2); }
  uint16_t length() const { return load_be16(b_.data() + 4); }
  uint16_t checksum() const { return load_be16(b_.data() + 6); }
  // The datagram as the length field bounds it (bytes after it are ignored).
  std::span<B> datagram() const { return b_.first(length()); }
  std::span<B> payload() const { return b_.subspan(kUdpHeaderLen, length() - kUdpHeaderLen); }
  // True when the checksum is right given the pseudo-header's addresses.
  // (A zero checksum is the caller's business: see UdpRepr::parse.)
  bool verify_checksum(const IpAddr& src, const IpAddr& dst) const {
    return checksum_ok(datagram(), pseudo_header_sum(src, dst, ip_proto::kUdp, length()));
  }

  void set_src_port(uint16_t p) requires kMutable<B> { store_be16(b_.data(), p); }
  void set_dst_port(uint16_t p) requires kMutable<B> { store_be16(b_.data() + 2, p); }
  void set_length(uint16_t l) requires kMutable<B> { store_be16(b_.data() + 4, l); }
  void set_checksum(uint16_t c) requires kMutable<B> { store_be16(b_.data() + 6, c); }
  // Computes and stores the checksum over length() bytes; 0 goes out as 0xffff.
  void fill_checksum(const IpAddr& src, const IpAddr& dst) requires kMutable<B> {
    set_checksum(0);
    uint16_t c = checksum_finish(checksum_add(
        pseudo_header_sum(src, dst, ip_proto::kUdp, length()), checksum_partial(datagram())));
    set_checksum(c == 0 ? 0xffff : c);
  }

 private:
  std::span<B> b_;
};

template <class B>
UdpView(std::span<B>) -> UdpView<B>;

struct UdpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t payload_len = 0;

  // Length checks (UdpView::checked), then the checksum with the pseudo-
  // header of `src`/`dst` (kUdpBadChecksum) unless `check` is kSkip. A zero
  // checksum is accepted over IPv4 ("no checksum") and is kUdpZeroChecksumV6
  // over IPv6 (checked even with kSkip: offload does not bless it).
  static Expected<UdpRepr> parse(UdpView<const uint8_t> v, const IpAddr& src, const IpAddr& dst,
                                 ChecksumCheck check = ChecksumCheck::kVerify);
  static Expected<UdpRepr> parse(std::span<const uint8_t> bytes, const IpAddr& src,
                                 const IpAddr& dst, ChecksumCheck check = ChecksumCheck::kVerify);
  static constexpr size_t header_len() { return kUdpHeaderLen; }
  size_t buffer_len() const { return kUdpHeaderLen + payload_len; }
  // `buf` is the whole datagram, exactly buffer_len() bytes, payload already
  // at buf+8; writes the header and the checksum (never 0: 0xffff instead).
  void emit(std::span<uint8_t> buf, const IpAddr& src, const IpAddr& dst) const;
  bool operator==(const UdpRepr&) const = default;
};

}  // namespace stackd::wire
