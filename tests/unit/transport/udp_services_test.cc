#include "transport/udp_services.h"

#include <gtest/gtest.h>

#include "udp_fixture.h"

namespace stackd::transport::testing {
namespace {

class Services : public UdpFixture {
 protected:
  UdpServices& svc() {
    if (!svc_) {
      svc_ = std::make_unique<UdpServices>(udp());
      std::vector<stack::ServiceConfig> cfgs = {
          {stack::ServiceKind::kEcho, stack::ServiceProto::kUdp, std::nullopt, 7},
          {stack::ServiceKind::kDiscard, stack::ServiceProto::kUdp, std::nullopt, 9},
          {stack::ServiceKind::kEcho, stack::ServiceProto::kTcp, std::nullopt, 7},  // not ours
      };
      EXPECT_EQ(svc_->start(cfgs), 0);
    }
    return *svc_;
  }
  void TearDown() override { svc_.reset(); }
  std::unique_ptr<UdpServices> svc_;
};

TEST_F(Services, StartsOnlyUdpEntries) { EXPECT_EQ(svc().size(), 2u); }

TEST_F(Services, EchoRepliesWithTheSameBytes) {
  svc();
  auto payload = bytes(64);
  rx(udp_packet(40000, 7, payload));
  EXPECT_TRUE(svc().pending());
  EXPECT_EQ(svc().poll(clock.now()), 1u);
  ASSERT_EQ(l2.sent.size(), 1u);
  auto o = sent(0);
  EXPECT_EQ(o.ip.src, A("10.0.0.2"));
  EXPECT_EQ(o.ip.dst, A("10.0.0.1"));
  auto u = wire::UdpRepr::parse(o.payload, IpAddr(o.ip.src), IpAddr(o.ip.dst));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->src_port, 7);
  EXPECT_EQ(u->dst_port, 40000);
  EXPECT_EQ(std::vector<uint8_t>(o.payload.begin() + 8, o.payload.end()), payload);
}

TEST_F(Services, EchoAnswersFromTheAddressAsked) {
  svc();
  rx(udp_packet(40000, 7, bytes(8), A("10.0.0.1"), A("192.168.1.2")));  // weak host
  svc().poll(clock.now());
  ASSERT_EQ(l2.sent.size(), 1u);
  EXPECT_EQ(sent(0).ip.src, A("192.168.1.2"));
}

TEST_F(Services, DiscardSendsNothing) {
  svc();
  rx(udp_packet(40000, 9, bytes(64)));
  EXPECT_EQ(svc().poll(clock.now()), 1u);
  EXPECT_TRUE(l2.sent.empty());
  EXPECT_EQ(svc().at(1).served(), 1u);
}

TEST_F(Services, EchoRefusesServicePortsToAvoidLoops) {
  svc();
  rx(udp_packet(7, 7, bytes(8)));
  rx(udp_packet(19, 7, bytes(8)));
  svc().poll(clock.now());
  EXPECT_TRUE(l2.sent.empty());
  EXPECT_EQ(svc().at(0).loops_refused(), 2u);
}

TEST_F(Services, EchoOfAFragmented65507ByteDatagram) {
  svc();
  auto payload = bytes(kUdpMaxPayload, 11);
  rx_fragmented(40000, 7, payload, 4242);
  EXPECT_EQ(counters[Counter::IpReasmOKs], 1u);
  EXPECT_EQ(svc().poll(clock.now()), 1u);
  EXPECT_EQ(l2.sent.size(), (65515u + 1479) / 1480);
  auto whole = reassemble_sent();
  ASSERT_TRUE(whole);
  auto u = wire::UdpRepr::parse(whole->payload.bytes(), IpAddr(A("10.0.0.2")),
                                IpAddr(A("10.0.0.1")));
  ASSERT_TRUE(u.ok());  // checksum over all 65515 bytes
  EXPECT_EQ(u->dst_port, 40000);
  EXPECT_EQ(u->payload_len, kUdpMaxPayload);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), whole->payload.bytes().begin() + 8));
}

TEST_F(Services, PortInUseIsReported) {
  UdpSocket squatter(udp());
  ASSERT_EQ(squatter.bind(Ipv4Addr::any(), 7), 0);
  UdpServices s(udp());
  std::vector<stack::ServiceConfig> cfgs = {
      {stack::ServiceKind::kEcho, stack::ServiceProto::kUdp, std::nullopt, 7}};
  EXPECT_EQ(s.start(cfgs), -EADDRINUSE);
  EXPECT_EQ(s.size(), 0u);
}

}  // namespace
}  // namespace stackd::transport::testing
