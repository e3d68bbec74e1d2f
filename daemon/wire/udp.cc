#include "wire/udp.h"

namespace stackd::wire {

Expected<UdpRepr> UdpRepr::parse(UdpView<const uint8_t> v, const IpAddr& src, const IpAddr& dst,
                                 ChecksumCheck check) {
  if (v.checksum() == 0) {
    // RFC 768: all-zero means the sender computed none (IPv4 only);
    // RFC 8200 §8.1: IPv6 receivers discard such datagrams.
    if (src.is_v6()) return DropReason::kUdpZeroChecksumV6;
  } else if (check == ChecksumCheck::kVerify && !v.verify_checksum(src, dst)) {
    return DropReason::kUdpBadChecksum;
  }
  return UdpRepr{v.src_port(), v.dst_port(), static_cast<uint16_t>(v.length() - kUdpHeaderLen)};
}

Expected<UdpRepr> UdpRepr::parse(std::span<const uint8_t> bytes, const IpAddr& src,
                                 const IpAddr& dst, ChecksumCheck check) {
  auto v = UdpView<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v, src, dst, check);
}

void UdpRepr::emit(std::span<uint8_t> buf, const IpAddr& src, const IpAddr& dst) const {
  assert(buf.size() == buffer_len());
  UdpView<uint8_t> v(buf);
  v.set_src_port(src_port);
  v.set_dst_port(dst_port);
  v.set_length(static_cast<uint16_t>(buffer_len()));
  v.fill_checksum(src, dst);
}

}  // namespace stackd::wire
