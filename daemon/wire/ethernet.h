// Ethernet II (IEEE 802.3 type field) with an optional IEEE 802.1Q tag.
//
//  0      6      12        14 (untagged)           18 (tagged)
//  | dst  | src  | type    | payload
//  | dst  | src  | 0x8100  | TCI (PCP3 DEI1 VID12) | type | payload
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <span>

#include "base/expected.h"
#include "wire/view.h"

namespace stackd::wire {

enum class EtherType : uint16_t {
  kIpv4 = 0x0800,
  kArp = 0x0806,
  kVlan = 0x8100,  // IEEE 802.1Q C-tag
  kIpv6 = 0x86dd,
};

inline constexpr size_t kEthernetHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kEthernetMinFrame = 60;  // without FCS

template <WireByte B = const uint8_t>
class EthernetView {
 public:
  // The one length check: 14 bytes, or 18 when the type field says 802.1Q.
  static Expected<EthernetView> checked(std::span<B> bytes) {
    if (bytes.size() < kEthernetHeaderLen) return DropReason::kEthTruncated;
    EthernetView v(bytes);
    if (v.has_vlan() && bytes.size() < kEthernetHeaderLen + kVlanTagLen)
      return DropReason::kEthTruncated;
    return v;
  }
  // Unchecked: the caller guarantees header_len() bytes.
  explicit EthernetView(std::span<B> bytes) : b_(bytes) {}
  operator EthernetView<const uint8_t>() const { return EthernetView<const uint8_t>(b_); }

  MacAddr dst() const { return load_mac(b_.data()); }
  MacAddr src() const { return load_mac(b_.data() + 6); }
  // The type field at offset 12 (0x8100 when tagged).
  uint16_t outer_type() const { return load_be16(b_.data() + 12); }
  bool has_vlan() const { return outer_type() == static_cast<uint16_t>(EtherType::kVlan); }
  uint16_t vlan_tci() const { return has_vlan() ? load_be16(b_.data() + 14) : 0; }
  uint16_t vlan_id() const { return vlan_tci() & 0x0fff; }
  // The type of the payload (after the tag when there is one).
  EtherType ethertype() const {
    return static_cast<EtherType>(has_vlan() ? load_be16(b_.data() + 16) : outer_type());
  }
  size_t header_len() const { return has_vlan() ? kEthernetHeaderLen + kVlanTagLen : kEthernetHeaderLen; }
  std::span<B> payload() const { return b_.subspan(header_len()); }
  std::span<B> bytes() const { return b_; }

  void set_dst(const MacAddr& m) requires kMutable<B> { store_mac(b_.data(), m); }
  void set_src(const MacAddr& m) requires kMutable<B> { store_mac(b_.data() + 6, m); }
  // The payload type (after the tag when there is one).
  void set_ethertype(EtherType t) requires kMutable<B> {
    store_be16(b_.data() + (has_vlan() ? 16 : 12), static_cast<uint16_t>(t));
  }

 private:
  std::span<B> b_;
};

template <class B>
EthernetView(std::span<B>) -> EthernetView<B>;

struct EthernetRepr {
  MacAddr dst;
  MacAddr src;
  EtherType ethertype = EtherType::kIpv4;  // of the payload
  std::optional<uint16_t> vlan_tci;        // present when 802.1Q tagged

  static Expected<EthernetRepr> parse(EthernetView<const uint8_t> v);
  static Expected<EthernetRepr> parse(std::span<const uint8_t> bytes);
  size_t header_len() const { return vlan_tci ? kEthernetHeaderLen + kVlanTagLen : kEthernetHeaderLen; }
  // Writes header_len() bytes at the front of `buf` (the payload follows).
  void emit(std::span<uint8_t> buf) const;
  bool operator==(const EthernetRepr&) const = default;
};

}  // namespace stackd::wire
