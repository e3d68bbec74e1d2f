// IPv6 fixed header (RFC 8200 §3).
//
//  0 version(4) traffic class(8) flow label(20)  4 payload length  6 next header
//  7 hop limit  8 source(16)  24 destination(16)  40 extension headers / payload
//
// Jumbograms (RFC 2675, payload length 0 with a Jumbo option) are not
// supported: payload length 0 means an empty payload.
#pragma once

#include <cassert>
#include <cstdint>
#include <span>

#include "base/expected.h"
#include "wire/ip_proto.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kIpv6MinMtu = 1280;  // RFC 8200 §5

template <WireByte B = const uint8_t>
class Ipv6View {
 public:
  // 40 bytes (kIp6Truncated), version 6 (kIp6BadVersion), payload length
  // within the bytes (kIp6BadPayloadLength; bytes after it are link padding).
  static Expected<Ipv6View> checked(std::span<B> bytes) {
    if (bytes.size() < kIpv6HeaderLen) return DropReason::kIp6Truncated;
    Ipv6View v(bytes);
    if (v.version() != 6) return DropReason::kIp6BadVersion;
    if (v.payload_len() > bytes.size() - kIpv6HeaderLen) return DropReason::kIp6BadPayloadLength;
    return v;
  }
  explicit Ipv6View(std::span<B> bytes) : b_(bytes) {}
  operator Ipv6View<const uint8_t>() const { return Ipv6View<const uint8_t>(b_); }

  uint8_t version() const { return b_[0] >> 4; }
  uint8_t traffic_class() const { return static_cast<uint8_t>(load_be16(b_.data()) >> 4); }
  uint32_t flow_label() const { return load_be32(b_.data()) & 0xfffff; }
  uint16_t payload_len() const { return load_be16(b_.data() + 4); }
  uint8_t next_header() const { return b_[6]; }
  uint8_t hop_limit() const { return b_[7]; }
  Ipv6Addr src() const { return load_ipv6(b_.data() + 8); }
  Ipv6Addr dst() const { return load_ipv6(b_.data() + 24); }
  std::span<B> payload() const { return b_.subspan(kIpv6HeaderLen, payload_len()); }

  void set_payload_len(uint16_t v) requires kMutable<B> { store_be16(b_.data() + 4, v); }
  void set_next_header(uint8_t v) requires kMutable<B> { b_[6] = v; }
  void set_hop_limit(uint8_t v) requires kMutable<B> { b_[7] = v; }
  void set_src(const Ipv6Addr& a) requires kMutable<B> { store_ipv6(b_.data() + 8, a); }
  void set_dst(const Ipv6Addr& a) requires kMutable<B> { store_ipv6(b_.data() + 24, a); }

 private:
  std::span<B> b_;
};

template <class B>
Ipv6View(std::span<B>) -> Ipv6View<B>;

struct Ipv6Repr {
  Ipv6Addr src;
  Ipv6Addr dst;
  uint8_t next_header = 0;
  uint8_t hop_limit = 64;
  uint16_t payload_len = 0;  // extension headers included
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;  // 20 bits (emit masks)

  static Expected<Ipv6Repr> parse(Ipv6View<const uint8_t> v);
  static Expected<Ipv6Repr> parse(std::span<const uint8_t> bytes);
  static constexpr size_t header_len() { return kIpv6HeaderLen; }
  void emit(std::span<uint8_t> buf) const;  // writes 40 bytes at the front
  bool operator==(const Ipv6Repr&) const = default;
};

}  // namespace stackd::wire
