#pragma once

#include "../ip/ip_test_util.h"
#include "transport/udp.h"
#include "wire/udp.h"

namespace stackd::transport::testing {

using ip::testing::A;

class UdpFixture : public ip::testing::IpFixture {
 protected:
  UdpLayer& udp() {
    if (!udp_) udp_ = std::make_unique<UdpLayer>(ip(), counters, drops);
    return *udp_;
  }
  // A UDP datagram in an IPv4 packet, checksum filled by the repr.
  buf::PacketBuf udp_packet(uint16_t sport, uint16_t dport, std::span<const uint8_t> payload,
                            Ipv4Addr src = A("10.0.0.1"), Ipv4Addr dst = A("10.0.0.2")) {
    std::vector<uint8_t> d(8 + payload.size());
    std::copy(payload.begin(), payload.end(), d.begin() + 8);
    wire::UdpRepr{sport, dport, static_cast<uint16_t>(payload.size())}.emit(d, src, dst);
    return packet(hdr(17, src, dst), d);
  }
  static std::vector<uint8_t> bytes(size_t n, uint8_t seed = 3) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 17 + seed + i / 256);
    return v;
  }
  // Feed a big datagram in as MTU-1500 fragments.
  void rx_fragmented(uint16_t sport, uint16_t dport, const std::vector<uint8_t>& payload,
                     uint16_t ident) {
    std::vector<uint8_t> d(8 + payload.size());
    std::copy(payload.begin(), payload.end(), d.begin() + 8);
    wire::UdpRepr{sport, dport, static_cast<uint16_t>(payload.size())}.emit(d, A("10.0.0.1"),
                                                                            A("10.0.0.2"));
    auto h = hdr(17);
    h.ident = ident;
    for (uint32_t off = 0; off < d.size(); off += 1480) {
      uint32_t len = std::min<uint32_t>(1480, static_cast<uint32_t>(d.size()) - off);
      h.frag_offset = static_cast<uint16_t>(off);
      h.more_frags = off + len < d.size();
      rx(packet(h, std::span<const uint8_t>(d).subspan(off, len)));
    }
  }
  // Reassemble everything sent so far into one datagram (checks each
  // fragment fits the MTU).
  std::optional<ip::Reassembled> reassemble_sent() {
    ip::Reassembler peer(ip::ReasmLimits{}, peer_heap, peer_counters, peer_drops);
    std::optional<ip::Reassembled> whole;
    for (size_t i = 0; i < l2.sent.size(); ++i) {
      EXPECT_LE(l2.sent[i].pkt.size(), 1500u);
      Out o = sent(i);
      ip::FragmentIn f{o.ip.src, o.ip.dst, o.ip.ident, o.ip.protocol, o.ip.frag_offset,
                       o.ip.more_frags, 1, l2.sent[i].pkt.bytes().first(20), o.payload};
      whole = peer.add(f, clock.now());
    }
    return whole;
  }

  buf::HeapPool peer_heap;
  Counters peer_counters;
  DropStats peer_drops;
  std::unique_ptr<UdpLayer> udp_;
};

}  // namespace stackd::transport::testing
