// ARP through the whole stack (RFC 826, RFC 5227 §3 announcements).
#include <gtest/gtest.h>

#include "support/checker.h"
#include "support/stack_harness.h"
#include "wire/icmpv4.h"

namespace stackd::testsupport {
namespace {

using ArpPacket = StackTest;

TEST_F(ArpPacket, AttachAnnouncesOurAddress) {
  start();
  auto tx = take_tx();
  ASSERT_FALSE(tx.empty());
  // RFC 5227 §2.3 announcement: a request with sender = target = our address.
  EXPECT_TRUE(expect_frame(tx[0], Eth(Src(kStackMac), Dst(MacAddr::broadcast())),
                           Arp(Op(wire::ArpOp::kRequest), SenderMac(kStackMac), SenderIp(kStackIp),
                               TargetIp(kStackIp))));
  EXPECT_GE(counter(Counter::ArpOutGratuitous), 1u);
}

TEST_F(ArpPacket, AnswersRequestForOurAddress) {
  start();
  take_tx();
  send(eth_arp_request(kPeerMac, kPeerIp, kStackIp));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Src(kStackMac), Dst(kPeerMac)),
                           Arp(Op(wire::ArpOp::kReply), SenderMac(kStackMac), SenderIp(kStackIp),
                               TargetMac(kPeerMac), TargetIp(kPeerIp))));
  EXPECT_EQ(counter(Counter::ArpInRequests), 1u);
  EXPECT_EQ(counter(Counter::ArpOutReplies), 1u);
}

TEST_F(ArpPacket, ReceivedFrameGoesBackToThePoolWithinThePoll) {
  // A frame the stack consumes in place (ARP) must not stay parked in the
  // stack's receive burst until the next poll: with AF_XDP that would hold
  // UMEM frames the NIC needs (found by fuzz_stack_frames).
  start();
  take_tx();
  send(eth_arp_request(kPeerMac, kPeerIp, kStackIp));
  send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 9, pattern(4)));
  poll();
  EXPECT_EQ(dev.rx_pool().in_use(), 0u);
}

TEST_F(ArpPacket, IgnoresRequestForAnotherAddress) {
  start();
  take_tx();
  send(eth_arp_request(kPeerMac, kPeerIp, Ipv4Addr::from_octets(10, 0, 0, 77)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::ArpOutReplies), 0u);
}

TEST_F(ArpPacket, ResolvesUnknownSenderBeforeReplyingToPing) {
  start();
  take_tx();
  peers.clear();  // answer by hand
  auto data = pattern(56);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, data));
  poll();
  auto tx = take_tx();
  ASSERT_EQ(tx.size(), 1u) << "expected only an ARP request";
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(MacAddr::broadcast())),
                           Arp(Op(wire::ArpOp::kRequest), SenderIp(kStackIp), TargetIp(kPeerIp))));
  send(eth_arp_reply(kPeerMac, kPeerIp, kStackMac, kStackIp));
  poll();
  tx = take_tx();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(kPeerMac)), Ipv4(Dst(kPeerIp)),
                           Icmp(Type(wire::icmpv4_type::kEchoReply), Payload(data))));
}

TEST_F(ArpPacket, RequestForUsCreatesSenderEntry) {
  // RFC 826 "merge": a request addressed to us teaches us the sender, so a
  // following ping is answered without a request of our own.
  start();
  take_tx();
  peers.clear();
  send(eth_arp_request(kPeerMac, kPeerIp, kStackIp));
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, pattern(8)));
  auto tx = run();
  ASSERT_EQ(tx.size(), 2u);
  EXPECT_TRUE(expect_frame(tx[0], Arp(Op(wire::ArpOp::kReply))));
  EXPECT_TRUE(expect_frame(tx[1], Eth(Dst(kPeerMac)), Icmp(Type(wire::icmpv4_type::kEchoReply))));
  EXPECT_EQ(counter(Counter::ArpOutRequests), 0u);
}

TEST_F(ArpPacket, RetransmitsThenGivesUpAndDropsQueued) {
  start();
  take_tx();
  peers.clear();  // nobody answers
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, pattern(8)));
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 2, pattern(8)));
  poll();
  size_t requests = take_tx().size();
  EXPECT_EQ(requests, 1u);
  // RFC 1122 §2.3.2.1: retransmit at most once per second, give up after
  // max_probes.
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(stack().poll_at().is_never());
    clock.set(stack().poll_at());
    poll();
    for (const auto& f : take_tx()) {
      EXPECT_TRUE(expect_frame(f, Arp(Op(wire::ArpOp::kRequest), TargetIp(kPeerIp))));
      ++requests;
    }
    if (stack().poll_at().is_never()) break;
  }
  EXPECT_EQ(requests, cfg.neigh.max_probes);
  EXPECT_EQ(dropped(DropReason::kNeighUnresolved), 2u);
  // The replies were built (Linux counts IcmpOutEchoReps there) but never
  // left: every transmitted frame above was an ARP request.
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 2u);
}

}  // namespace
}  // namespace stackd::testsupport
