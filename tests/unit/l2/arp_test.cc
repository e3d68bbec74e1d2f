// ARP input and output (RFC 826 "Packet Reception", RFC 5227 probes and
// announcements), frame by frame.
#include "l2_fixture.h"

namespace stackd::l2::test {
namespace {

using Arp = L2Test;

// "Who has 10.0.0.2? Tell 10.0.0.1", broadcast.
const ArpPacket kWhoHasUs{
    .op = kRequest, .sha = kPeerMac, .spa = kPeerIp, .tha = kZeroMac, .tpa = kOurIp};

// RFC 826: swap the fields, put our address in the sender fields, set the
// opcode to reply, send it to the requester.
TEST_F(Arp, RequestForUsGetsReply) {
  receive(arp_frame(kBroadcast, kWhoHasUs));
  auto [eth, reply] = expect_arp();
  EXPECT_EQ(eth.dst, kPeerMac);
  EXPECT_EQ(reply, (ArpPacket{.op = kReply,
                              .sha = kOurMac,
                              .spa = kOurIp,
                              .tha = kPeerMac,
                              .tpa = kPeerIp}));
  EXPECT_EQ(counters[Counter::ArpInRequests], 1u);
  EXPECT_EQ(counters[Counter::ArpOutReplies], 1u);
  EXPECT_EQ(iface.stats.tx_packets, 1u);
  EXPECT_EQ(iface.stats.tx_bytes, 14u + 28u);
}

// RFC 826: "If the merge_flag is false, add the triplet" when we are the
// target. Hearing a request proves nothing about reachability: STALE.
TEST_F(Arp, RequestForUsAddsTheRequesterAsStale) {
  receive(arp_frame(kBroadcast, kWhoHasUs));
  auto n = neighbour(kPeerIp);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mac, kPeerMac);
  EXPECT_EQ(n->state, NeighState::kStale);
}

TEST_F(Arp, RequestForSomeoneElseIsIgnored) {
  receive(arp_frame(kBroadcast, {.op = kRequest,
                                 .sha = kPeerMac,
                                 .spa = kPeerIp,
                                 .tha = kZeroMac,
                                 .tpa = kOtherIp}));
  expect_no_emit();
  EXPECT_FALSE(neighbour(kPeerIp)) << "no entry unless the target is us";
  EXPECT_EQ(drops[DropReason::kArpNotForUs], 1u);
}

// RFC 826: the merge happens before the "Am I the target" check, so an
// existing entry is refreshed by any request its owner sends.
TEST_F(Arp, RequestForSomeoneElseStillUpdatesExistingEntry) {
  receive(arp_frame(kBroadcast, kWhoHasUs));
  transmitted();
  receive(arp_frame(kBroadcast, {.op = kRequest,
                                 .sha = kOtherMac,
                                 .spa = kPeerIp,
                                 .tha = kZeroMac,
                                 .tpa = kOtherIp}));
  expect_no_emit();
  EXPECT_EQ(neighbour(kPeerIp)->mac, kOtherMac);
  EXPECT_EQ(drops[DropReason::kArpNotForUs], 0u);
}

// RFC 5227 §3 announcement (gratuitous ARP): updates, never creates.
TEST_F(Arp, GratuitousArpUpdatesExistingEntriesOnly) {
  ArpPacket announce{.op = kRequest, .sha = kOtherMac, .spa = kPeerIp, .tha = kZeroMac, .tpa = kPeerIp};
  receive(arp_frame(kBroadcast, announce));
  EXPECT_FALSE(neighbour(kPeerIp));

  receive(arp_frame(kBroadcast, kWhoHasUs));
  transmitted();
  receive(arp_frame(kBroadcast, announce));
  EXPECT_EQ(neighbour(kPeerIp)->mac, kOtherMac);
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kStale);
  expect_no_emit();
}

TEST_F(Arp, GroupZeroOrBroadcastSendersAreRejected) {
  const ArpPacket bad[] = {
      {.op = kRequest, .sha = kBroadcast, .spa = kPeerIp, .tha = kZeroMac, .tpa = kOurIp},
      {.op = kRequest, .sha = {{0x01, 0, 0x5e, 0, 0, 1}}, .spa = kPeerIp, .tha = kZeroMac, .tpa = kOurIp},
      {.op = kRequest, .sha = kZeroMac, .spa = kPeerIp, .tha = kZeroMac, .tpa = kOurIp},
      {.op = kRequest, .sha = kPeerMac, .spa = Ipv4Addr::from_octets(224, 0, 0, 1), .tha = kZeroMac, .tpa = kOurIp},
      {.op = kRequest, .sha = kPeerMac, .spa = Ipv4Addr::broadcast(), .tha = kZeroMac, .tpa = kOurIp},
      {.op = kRequest, .sha = kPeerMac, .spa = Ipv4Addr::from_octets(10, 0, 0, 255), .tha = kZeroMac, .tpa = kOurIp},
  };
  // The Ethernet source must be unicast to get this far; the ARP sender
  // field is what is checked.
  for (const auto& a : bad)
    receive({.dst = kBroadcast, .src = kPeerMac, .type = kTypeArp, .payload = a.bytes()});
  EXPECT_EQ(drops[DropReason::kArpBadSender], std::size(bad));
  expect_no_emit();
  EXPECT_EQ(link->neighbours().size(), 0u);
}

// RFC 5227 §2.1.1: a probe (sender IP 0.0.0.0) for our address is answered,
// and the prober is not added to the cache.
TEST_F(Arp, ProbeForOurAddressIsAnsweredWithoutAnEntry) {
  receive(arp_frame(kBroadcast, {.op = kRequest,
                                 .sha = kPeerMac,
                                 .spa = Ipv4Addr::any(),
                                 .tha = kZeroMac,
                                 .tpa = kOurIp}));
  auto [eth, reply] = expect_arp();
  EXPECT_EQ(eth.dst, kPeerMac);
  EXPECT_EQ(reply, (ArpPacket{.op = kReply,
                              .sha = kOurMac,
                              .spa = kOurIp,
                              .tha = kPeerMac,
                              .tpa = Ipv4Addr::any()}));
  EXPECT_EQ(link->neighbours().size(), 0u);
}

TEST_F(Arp, SenderClaimingOurAddressIsNotLearned) {
  receive(arp_frame(kBroadcast, {.op = kRequest,
                                 .sha = kOtherMac,
                                 .spa = kOurIp,
                                 .tha = kZeroMac,
                                 .tpa = kOurIp}));
  EXPECT_EQ(drops[DropReason::kArpAddrConflict], 1u);
  EXPECT_FALSE(neighbour(kOurIp));
  expect_no_emit();
}

TEST_F(Arp, MalformedPacketsAreCountedByReason) {
  Bytes short_arp = kWhoHasUs.bytes();
  short_arp.resize(27);
  receive({.dst = kBroadcast, .src = kPeerMac, .type = kTypeArp, .payload = short_arp});
  ArpPacket tokenring = kWhoHasUs;
  tokenring.hrd = 6;
  receive(arp_frame(kBroadcast, tokenring));
  ArpPacket rarp = kWhoHasUs;
  rarp.op = 3;
  receive(arp_frame(kBroadcast, rarp));
  EXPECT_EQ(drops[DropReason::kArpTruncated], 1u);
  EXPECT_EQ(drops[DropReason::kArpUnsupported], 1u);
  EXPECT_EQ(drops[DropReason::kArpBadOp], 1u);
  expect_no_emit();
}

// Ethernet pads ARP to 60 bytes; the padding is not part of the packet.
TEST_F(Arp, PaddedRequestIsAnswered) {
  Bytes padded = kWhoHasUs.bytes();
  padded.resize(46, 0);
  receive({.dst = kBroadcast, .src = kPeerMac, .type = kTypeArp, .payload = padded});
  EXPECT_EQ(expect_arp().second.op, kReply);
}

// Requests for a second address are answered from that address.
TEST_F(Arp, EveryConfiguredAddressIsAnswered) {
  iface.addrs.push_back(*IpPrefix::parse("192.168.7.1/24"));
  ArpPacket req = kWhoHasUs;
  req.tpa = kSecondIp;
  receive(arp_frame(kBroadcast, req));
  EXPECT_EQ(expect_arp().second.spa, kSecondIp);
}

// RFC 5227 §3: on interface up, announce each address: a request with
// sender and target protocol address both ours, target hardware zero.
TEST_F(Arp, InterfaceUpAnnouncesEveryIpv4Address) {
  iface.up = false;
  iface.addrs.push_back(*IpPrefix::parse("192.168.7.1/24"));
  iface.addrs.push_back(*IpPrefix::parse("fd00::2/64"));
  link->interface_up(iface, clock.now());
  EXPECT_TRUE(iface.up);
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 2u);
  Ipv4Addr expected[] = {kOurIp, kSecondIp};
  for (size_t i = 0; i < tx.size(); ++i) {
    EXPECT_EQ(tx[i].dst, kBroadcast);
    EXPECT_EQ(tx[i].type, kTypeArp);
    EXPECT_EQ(ArpPacket::parse(tx[i].payload), (ArpPacket{.op = kRequest,
                                                          .sha = kOurMac,
                                                          .spa = expected[i],
                                                          .tha = kZeroMac,
                                                          .tpa = expected[i]}));
  }
  EXPECT_EQ(counters[Counter::ArpOutGratuitous], 2u);
}

// Without a pool there is no frame to answer with: counted, nothing leaks.
TEST_F(Arp, NoFrameForReplyIsCounted) {
  link.emplace(timers, counters, drops, nullptr);
  link->attach(iface);
  receive(arp_frame(kBroadcast, kWhoHasUs));
  expect_no_emit();
  EXPECT_EQ(drops[DropReason::kNoBuffer], 1u);
  EXPECT_EQ(iface.stats.tx_dropped, 1u);
}

}  // namespace
}  // namespace stackd::l2::test
