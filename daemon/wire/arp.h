// ARP (RFC 826) for Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4.
//
//  0 htype  2 ptype  4 hlen 5 plen  6 op  8 sha(6) 14 spa(4) 18 tha(6) 24 tpa(4) 28
#pragma once

#include <cassert>
#include <cstdint>
#include <span>

#include "base/expected.h"
#include "wire/view.h"

namespace stackd::wire {

inline constexpr size_t kArpLen = 28;  // Ethernet/IPv4
inline constexpr uint16_t kArpHtypeEthernet = 1;
inline constexpr uint16_t kArpPtypeIpv4 = 0x0800;

enum class ArpOp : uint16_t { kRequest = 1, kReply = 2 };

template <WireByte B = const uint8_t>
class ArpView {
 public:
  // The one length check: the 28-byte Ethernet/IPv4 form.
  static Expected<ArpView> checked(std::span<B> bytes) {
    if (bytes.size() < kArpLen) return DropReason::kArpTruncated;
    return ArpView(bytes);
  }
  explicit ArpView(std::span<B> bytes) : b_(bytes) {}
  operator ArpView<const uint8_t>() const { return ArpView<const uint8_t>(b_); }

  uint16_t htype() const { return load_be16(b_.data()); }
  uint16_t ptype() const { return load_be16(b_.data() + 2); }
  uint8_t hlen() const { return b_[4]; }
  uint8_t plen() const { return b_[5]; }
  uint16_t op() const { return load_be16(b_.data() + 6); }
  MacAddr sha() const { return load_mac(b_.data() + 8); }
  Ipv4Addr spa() const { return load_ipv4(b_.data() + 14); }
  MacAddr tha() const { return load_mac(b_.data() + 18); }
  Ipv4Addr tpa() const { return load_ipv4(b_.data() + 24); }
  bool is_ethernet_ipv4() const {
    return htype() == kArpHtypeEthernet && ptype() == kArpPtypeIpv4 && hlen() == 6 && plen() == 4;
  }

  void set_op(ArpOp op) requires kMutable<B> { store_be16(b_.data() + 6, static_cast<uint16_t>(op)); }
  void set_sha(const MacAddr& m) requires kMutable<B> { store_mac(b_.data() + 8, m); }
  void set_spa(Ipv4Addr a) requires kMutable<B> { store_ipv4(b_.data() + 14, a); }
  void set_tha(const MacAddr& m) requires kMutable<B> { store_mac(b_.data() + 18, m); }
  void set_tpa(Ipv4Addr a) requires kMutable<B> { store_ipv4(b_.data() + 24, a); }

 private:
  std::span<B> b_;
};

template <class B>
ArpView(std::span<B>) -> ArpView<B>;

struct ArpRepr {
  ArpOp op = ArpOp::kRequest;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  // Checks in order: length (kArpTruncated), hardware/protocol types and
  // lengths (kArpUnsupported), opcode (kArpBadOp). Trailing bytes (Ethernet
  // padding) are ignored.
  static Expected<ArpRepr> parse(ArpView<const uint8_t> v);
  static Expected<ArpRepr> parse(std::span<const uint8_t> bytes);
  static constexpr size_t header_len() { return kArpLen; }
  void emit(std::span<uint8_t> buf) const;  // buf.size() >= 28
  bool operator==(const ArpRepr&) const = default;
};

}  // namespace stackd::wire
