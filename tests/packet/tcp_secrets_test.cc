// The TCP secrets in the stack's config reach the TCP layer: the same SYN
// at the same instant gets the same ISN under the same secret and another
// under another (RFC 6528: ISN = clock + keyed hash). The daemon fills the
// secret from getrandom() (app/secrets.h, tests/config/app_secrets_test.cc).
#include <gtest/gtest.h>

#include "base/byteorder.h"
#include "support/stack_harness.h"
#include "wire/ethernet.h"
#include "wire/ip_proto.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace stackd::testsupport {
namespace {

// The SYN,ACK's ISN for one SYN to the TCP echo service on port 7.
uint32_t synack_isn(std::optional<stack::TcpSecrets> secrets) {
  StackHarness h;
  stack::ServiceConfig echo;
  echo.proto = stack::ServiceProto::kTcp;
  echo.port = 7;
  h.cfg.services.push_back(echo);
  h.cfg.tcp.secrets = secrets;
  h.start();
  h.take_tx();
  wire::TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 7;
  syn.seq = 1000;
  syn.flags = wire::tcp_flag::kSyn;
  syn.window = 65535;
  Bytes seg(syn.buffer_len());
  syn.emit(seg, IpAddr(kPeerIp), IpAddr(kStackIp));
  wire::Ipv4Repr ip;
  ip.src = kPeerIp;
  ip.dst = kStackIp;
  ip.protocol = wire::ip_proto::kTcp;
  ip.ttl = 64;
  h.send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(ip, seg)));
  auto tx = h.run();
  uint32_t isn = 0;
  bool found = false;
  for (const auto& f : tx) {
    // Ethernet (14) + IPv4 (IHL) + TCP: the stack's SYN,ACK to the peer.
    if (f.size() < 14 + 20 || load_be16(f.data() + 12) != 0x0800) continue;
    const uint8_t* l3 = f.data() + 14;
    if (l3[9] != wire::ip_proto::kTcp) continue;
    const size_t ihl = size_t{l3[0] & 0xfu} * 4;
    const size_t total = load_be16(l3 + 2);
    auto l4 = std::span<const uint8_t>(l3 + ihl, total - ihl);
    auto t = wire::TcpRepr::parse(l4, IpAddr(kStackIp), IpAddr(kPeerIp));
    if (!t || t->flags != (wire::tcp_flag::kSyn | wire::tcp_flag::kAck)) continue;
    EXPECT_EQ(t->ack, 1001u);
    isn = t->seq;
    found = true;
  }
  EXPECT_TRUE(found) << "no SYN,ACK";
  EXPECT_TRUE(h.finish());
  return isn;
}

TEST(TcpSecrets, ConfigSecretsReachTheIsnGenerator) {
  stack::TcpSecrets a{{1, 2}, {3, 4}}, b{{5, 6}, {3, 4}};
  const uint32_t isn_a = synack_isn(a);
  EXPECT_EQ(synack_isn(a), isn_a);
  EXPECT_NE(synack_isn(b), isn_a);
  EXPECT_NE(synack_isn(std::nullopt), isn_a);  // not the core's fixed value
}

}  // namespace
}  // namespace stackd::testsupport
