#include "wire/arp.h"

namespace stackd::wire {

Expected<ArpRepr> ArpRepr::parse(ArpView<const uint8_t> v) {
  if (!v.is_ethernet_ipv4()) return DropReason::kArpUnsupported;
  uint16_t op = v.op();
  if (op != static_cast<uint16_t>(ArpOp::kRequest) && op != static_cast<uint16_t>(ArpOp::kReply))
    return DropReason::kArpBadOp;
  return ArpRepr{static_cast<ArpOp>(op), v.sha(), v.spa(), v.tha(), v.tpa()};
}

Expected<ArpRepr> ArpRepr::parse(std::span<const uint8_t> bytes) {
  auto v = ArpView<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v);
}

void ArpRepr::emit(std::span<uint8_t> buf) const {
  assert(buf.size() >= kArpLen);
  uint8_t* p = buf.data();
  store_be16(p, kArpHtypeEthernet);
  store_be16(p + 2, kArpPtypeIpv4);
  p[4] = 6;
  p[5] = 4;
  ArpView<uint8_t> v(buf);
  v.set_op(op);
  v.set_sha(sender_mac);
  v.set_spa(sender_ip);
  v.set_tha(target_mac);
  v.set_tpa(target_ip);
}

}  // namespace stackd::wire
