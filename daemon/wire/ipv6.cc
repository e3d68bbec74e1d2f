#include "wire/ipv6.h"

namespace stackd::wire {

Expected<Ipv6Repr> Ipv6Repr::parse(Ipv6View<const uint8_t> v) {
  Ipv6Repr r;
  r.src = v.src();
  r.dst = v.dst();
  r.next_header = v.next_header();
  r.hop_limit = v.hop_limit();
  r.payload_len = v.payload_len();
  r.traffic_class = v.traffic_class();
  r.flow_label = v.flow_label();
  return r;
}

Expected<Ipv6Repr> Ipv6Repr::parse(std::span<const uint8_t> bytes) {
  auto v = Ipv6View<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v);
}

void Ipv6Repr::emit(std::span<uint8_t> buf) const {
  assert(buf.size() >= kIpv6HeaderLen);
  store_be32(buf.data(), (uint32_t{6} << 28) | (uint32_t{traffic_class} << 20) | (flow_label & 0xfffff));
  Ipv6View<uint8_t> v(buf);
  v.set_payload_len(payload_len);
  v.set_next_header(next_header);
  v.set_hop_limit(hop_limit);
  v.set_src(src);
  v.set_dst(dst);
}

}  // namespace stackd::wire
