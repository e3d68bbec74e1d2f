#include "wire/ethernet.h"

namespace stackd::wire {

Expected<EthernetRepr> EthernetRepr::parse(EthernetView<const uint8_t> v) {
  EthernetRepr r;
  r.dst = v.dst();
  r.src = v.src();
  r.ethertype = v.ethertype();
  if (v.has_vlan()) r.vlan_tci = v.vlan_tci();
  return r;
}

Expected<EthernetRepr> EthernetRepr::parse(std::span<const uint8_t> bytes) {
  auto v = EthernetView<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v);
}

void EthernetRepr::emit(std::span<uint8_t> buf) const {
  assert(buf.size() >= header_len());
  uint8_t* p = buf.data();
  store_mac(p, dst);
  store_mac(p + 6, src);
  if (vlan_tci) {
    store_be16(p + 12, static_cast<uint16_t>(EtherType::kVlan));
    store_be16(p + 14, *vlan_tci);
    store_be16(p + 16, static_cast<uint16_t>(ethertype));
  } else {
    store_be16(p + 12, static_cast<uint16_t>(ethertype));
  }
}

}  // namespace stackd::wire
