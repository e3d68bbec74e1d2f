#include "wire/ipv4.h"

namespace stackd::wire {

Expected<Ipv4Repr> Ipv4Repr::parse(Ipv4View<const uint8_t> v, ChecksumCheck check) {
  // RFC 1122 §3.2.1.2: a datagram whose header checksum is wrong is discarded.
  if (check == ChecksumCheck::kVerify && !v.verify_checksum()) return DropReason::kIpBadChecksum;
  Ipv4Repr r;
  r.src = v.src();
  r.dst = v.dst();
  r.protocol = v.protocol();
  r.ttl = v.ttl();
  r.payload_len = static_cast<uint16_t>(v.total_len() - v.header_len());
  r.ident = v.ident();
  r.dscp = v.dscp();
  r.ecn = v.ecn();
  r.dont_frag = v.dont_frag();
  r.more_frags = v.more_frags();
  r.frag_offset = v.frag_offset();
  return r;
}

Expected<Ipv4Repr> Ipv4Repr::parse(std::span<const uint8_t> bytes, ChecksumCheck check) {
  auto v = Ipv4View<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v, check);
}

void Ipv4Repr::emit(std::span<uint8_t> buf) const {
  assert(buf.size() >= kIpv4MinHeaderLen);
  assert(payload_len <= 0xffff - kIpv4MinHeaderLen);
  assert(frag_offset % 8 == 0);
  uint8_t* p = buf.data();
  p[0] = 0x45;
  p[1] = static_cast<uint8_t>(((dscp & 0x3f) << 2) | (ecn & 0x03));
  store_be16(p + 2, static_cast<uint16_t>(kIpv4MinHeaderLen + payload_len));
  store_be16(p + 4, ident);
  uint16_t ff = static_cast<uint16_t>((frag_offset / 8) & kIpv4FragOffsetMask);
  if (dont_frag) ff |= kIpv4FlagDf;
  if (more_frags) ff |= kIpv4FlagMf;
  store_be16(p + 6, ff);
  p[8] = ttl;
  p[9] = protocol;
  store_be16(p + 10, 0);
  store_ipv4(p + 12, src);
  store_ipv4(p + 16, dst);
  store_be16(p + 10, internet_checksum(buf.first(kIpv4MinHeaderLen)));
}

}  // namespace stackd::wire
