// IPv4 output through l2: broadcast and multicast mapping, address
// resolution with ARP (RFC 826, RFC 1122 §2.3.2.1) and the neighbour state
// machine (RFC 4861 §7.3.3) seen as frames on the wire.
#include "l2_fixture.h"

#include "l2/ethernet.h"
#include "nic/device.h"

namespace stackd::l2::test {
namespace {

using Output = L2Test;

// "Who has 10.0.0.1? Tell 10.0.0.2", as we send it.
const ArpPacket kWhoHasPeer{
    .op = kRequest, .sha = kOurMac, .spa = kOurIp, .tha = kZeroMac, .tpa = kPeerIp};
const ArpPacket kPeerIsAt{
    .op = kReply, .sha = kPeerMac, .spa = kPeerIp, .tha = kOurMac, .tpa = kOurIp};

uint8_t tag_of(const EthFrame& f) { return f.payload.at(19); }

class OutputResolved : public Output {
 protected:
  // The real way to a REACHABLE neighbour: send, ARP, unicast reply.
  void SetUp() override {
    Output::SetUp();
    send_ip(kPeerIp);
    transmitted();
    receive(arp_frame(kOurMac, kPeerIsAt));
    transmitted();
    ASSERT_EQ(neighbour(kPeerIp)->state, NeighState::kReachable);
  }
};

TEST_F(Output, LimitedAndSubnetBroadcastGoToBroadcastMac) {
  send_ip(Ipv4Addr::broadcast(), 1);
  send_ip(Ipv4Addr::from_octets(10, 0, 0, 255), 2);
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 2u);
  for (auto& f : tx) {
    EXPECT_EQ(f.dst, kBroadcast);
    EXPECT_EQ(f.src, kOurMac);
    EXPECT_EQ(f.type, kTypeIpv4);
  }
  EXPECT_EQ(counters[Counter::ArpOutRequests], 0u);
}

TEST_F(Output, MulticastGoesToTheGroupMac) {
  send_ip(Ipv4Addr::from_octets(224, 0, 0, 251));
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].dst, (MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}));
}

// Unknown next hop: queue the packet, broadcast a request.
TEST_F(Output, UnknownNextHopIsQueuedAndRequested) {
  send_ip(kPeerIp, 1);
  auto [eth, req] = expect_arp();
  EXPECT_EQ(eth.dst, kBroadcast);
  EXPECT_EQ(req, kWhoHasPeer);
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kIncomplete);
  EXPECT_EQ(counters[Counter::ArpOutRequests], 1u);
  send_ip(kPeerIp, 2);
  expect_no_emit();  // queued, no second request
}

// The reply releases the queued packets in order, now with Ethernet.
TEST_F(Output, ReplyReleasesQueuedPacketsInOrder) {
  send_ip(kPeerIp, 1), send_ip(kPeerIp, 2), send_ip(kPeerIp, 3);
  transmitted();
  receive(arp_frame(kOurMac, kPeerIsAt));
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 3u);
  for (uint8_t i = 0; i < 3; ++i) {
    EXPECT_EQ(tx[i].dst, kPeerMac);
    EXPECT_EQ(tx[i].src, kOurMac);
    EXPECT_EQ(tx[i].type, kTypeIpv4);
    EXPECT_EQ(tx[i].payload, ip_packet(i + 1));
  }
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kReachable);
  EXPECT_EQ(counters[Counter::ArpInReplies], 1u);
}

TEST_F(Output, PendingQueueIsBounded) {
  for (uint8_t t = 1; t <= 6; ++t) send_ip(kPeerIp, t);
  transmitted();
  EXPECT_EQ(drops[DropReason::kNeighPendingOverflow], 2u);
  receive(arp_frame(kOurMac, kPeerIsAt));
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 4u);
  EXPECT_EQ(tag_of(tx[0]), 3) << "the oldest were dropped";
}

// RFC 1122 §2.3.2.1: retransmit at most once per `retrans`; after
// max_probes unanswered requests the queued packets are dropped and IP
// hears about them (to send ICMP host unreachable).
TEST_F(Output, RequestsRetransmittedThenUnresolved) {
  std::vector<uint8_t> failed;
  IpAddr failed_hop;
  link->set_unresolved_hook([&](Interface&, const IpAddr& hop, std::span<buf::PacketBuf> pkts, Instant) {
    failed_hop = hop;
    for (auto& p : pkts) failed.push_back(p.data()[19]);
  });
  send_ip(kPeerIp, 7), send_ip(kPeerIp, 8);
  EXPECT_EQ(expect_arp().second, kWhoHasPeer);
  advance(timers.retrans - Duration::millis(1));
  expect_no_emit();
  advance(Duration::millis(1));
  EXPECT_EQ(expect_arp().second, kWhoHasPeer);
  advance(timers.retrans);
  EXPECT_EQ(expect_arp().second, kWhoHasPeer);
  EXPECT_TRUE(failed.empty());
  advance(timers.retrans);
  expect_no_emit();
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kFailed);
  EXPECT_EQ(failed, (std::vector<uint8_t>{7, 8}));
  EXPECT_EQ(failed_hop, IpAddr(kPeerIp));
  EXPECT_EQ(drops[DropReason::kNeighUnresolved], 2u);
  EXPECT_EQ(iface.stats.tx_dropped, 2u);
  EXPECT_EQ(counters[Counter::ArpOutRequests], 3u);
}

// IP answers a failure with ICMP host unreachable to the packets' source,
// which goes back through output_ipv4 from inside the hook (re-entry).
TEST_F(Output, UnresolvedHookMaySendFromInside) {
  link->add_static(iface, kOtherIp, kOtherMac, clock.now());
  link->set_unresolved_hook([&](Interface& i, const IpAddr&, std::span<buf::PacketBuf> pkts, Instant now) {
    for (size_t n = 0; n < pkts.size(); ++n)
      link->output_ipv4(i, kOtherIp, buffer(ip_packet(0xee)), now);  // "ICMP" to the source
    send_ip(Ipv4Addr::from_octets(10, 0, 0, 77));  // and a new resolution starts
  });
  send_ip(kPeerIp, 1);
  advance(timers.retrans * timers.max_probes);
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 5u);  // 3 requests, the ICMP, a request for .77
  EXPECT_EQ(tx[3].dst, kOtherMac);
  EXPECT_EQ(tag_of(tx[3]), 0xee);
  EXPECT_EQ(ArpPacket::parse(tx[4].payload).tpa, Ipv4Addr::from_octets(10, 0, 0, 77));
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kFailed);
}

// Off-subnet next hops are asked for from the primary address.
TEST_F(Output, RequestSourceIsOurAddressOnTheTargetsSubnet) {
  iface.addrs.push_back(*IpPrefix::parse("192.168.7.1/24"));
  send_ip(Ipv4Addr::from_octets(192, 168, 7, 9));
  EXPECT_EQ(expect_arp().second.spa, kSecondIp);
  send_ip(Ipv4Addr::from_octets(172, 16, 0, 1));
  EXPECT_EQ(expect_arp().second.spa, kOurIp);
}

TEST_F(OutputResolved, ResolvedNeighbourSendsAtOnceWithoutCopy) {
  buf::PacketBuf pkt = buffer(ip_packet(9));
  const uint8_t* frame_base = pkt.base();
  link->output_ipv4(iface, kPeerIp, std::move(pkt), clock.now());
  ASSERT_EQ(iface.tx_queue.size(), 1u);
  EXPECT_EQ(iface.tx_queue[0].base(), frame_base) << "header prepended in place";
  EXPECT_EQ(iface.tx_queue[0].headroom(), buf::kDefaultHeadroom - 14);
  auto tx = transmitted();
  EXPECT_EQ(tx[0].dst, kPeerMac);
  EXPECT_EQ(tx[0].payload, ip_packet(9));
}

// RFC 4861 §7.3.3 as ARP: REACHABLE -> STALE after the reachable time;
// used while STALE -> DELAY (still sent); after 5 s -> PROBE with unicast
// requests to the cached address; a unicast reply -> REACHABLE.
TEST_F(OutputResolved, StaleDelayProbeReachable) {
  advance(timers.reachable);
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kStale);
  expect_no_emit();

  send_ip(kPeerIp, 1);
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].dst, kPeerMac) << "STALE still sends";
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kDelay);

  advance(kDelayFirstProbeTime);
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kProbe);
  auto [eth, probe] = expect_arp();
  EXPECT_EQ(eth.dst, kPeerMac) << "PROBE is unicast";
  EXPECT_EQ(probe, kWhoHasPeer);

  receive(arp_frame(kOurMac, kPeerIsAt));
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kReachable);
  advance(timers.retrans * 5);
  expect_no_emit();
}

// A broadcast reply is not proof that our request got through.
TEST_F(OutputResolved, BroadcastReplyDoesNotConfirm) {
  advance(timers.reachable);
  receive(arp_frame(kBroadcast, kPeerIsAt));
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kStale);
}

TEST_F(OutputResolved, ProbeUnansweredFails) {
  advance(timers.reachable);
  send_ip(kPeerIp);
  transmitted();
  advance(kDelayFirstProbeTime + timers.retrans * timers.max_probes);
  EXPECT_EQ(transmitted().size(), timers.max_probes);
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kFailed);
}

TEST_F(Output, StaticNeighbourSendsAtOnceAndNeverAges) {
  EXPECT_FALSE(link->add_static(iface, kPeerIp, kPeerMac, clock.now()));
  send_ip(kPeerIp);
  auto tx = transmitted();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].type, kTypeIpv4);
  EXPECT_EQ(tx[0].dst, kPeerMac);
  EXPECT_TRUE(link->poll_at().is_never());
  advance(Duration::seconds(24 * 3600));
  receive(arp_frame(kOurMac, {.op = kReply, .sha = kOtherMac, .spa = kPeerIp, .tha = kOurMac, .tpa = kOurIp}));
  EXPECT_EQ(neighbour(kPeerIp)->state, NeighState::kPermanent);
  EXPECT_EQ(neighbour(kPeerIp)->mac, kPeerMac);
}

TEST_F(Output, CacheBoundRefusesWhenEveryEntryIsBusy) {
  for (uint8_t n = 1; n <= timers.cache_size; ++n)
    send_ip(Ipv4Addr::from_octets(10, 0, 1, n));  // all INCOMPLETE: busy
  transmitted();
  send_ip(Ipv4Addr::from_octets(10, 0, 2, 1));
  expect_no_emit();
  EXPECT_EQ(drops[DropReason::kNeighCacheFull], 1u);
  size_t listed = 0;
  link->neighbours().for_each([&](const NeighInfo& n) {
    EXPECT_EQ(n.state, NeighState::kIncomplete);
    ++listed;
  });
  EXPECT_EQ(listed, timers.cache_size);
}

TEST_F(Output, DownInterfaceOrOversizedPacketIsDropped) {
  send_ip(Ipv4Addr::broadcast());
  transmitted();
  iface.mtu = 19;
  send_ip(Ipv4Addr::broadcast());
  EXPECT_EQ(drops[DropReason::kFrameTooBig], 1u);
  iface.mtu = 1500;
  iface.up = false;
  send_ip(Ipv4Addr::broadcast());
  EXPECT_EQ(drops[DropReason::kIfaceDown], 1u);
  expect_no_emit();
  EXPECT_EQ(iface.stats.tx_dropped, 2u);
}

TEST_F(Output, NoHeadroomForEthernetIsCounted) {
  link->output_ipv4(iface, Ipv4Addr::broadcast(), buffer(ip_packet(1), 10), clock.now());
  expect_no_emit();
  EXPECT_EQ(drops[DropReason::kNoBuffer], 1u);
}

// With a device, l2's own frames come from the device's tx_pool().
struct PoolDevice : nic::Device {
  nic::DeviceInfo inf{.name = "fake0", .mac = kOurMac, .mtu = 1500};
  buf::FixedPool pool{8, 512};
  const nic::DeviceInfo& info() const override { return inf; }
  size_t rx_burst(std::span<buf::PacketBuf>, Instant) override { return 0; }
  size_t tx_burst(std::span<buf::PacketBuf>, Instant) override { return 0; }
  buf::FramePool& tx_pool() override { return pool; }
};

TEST_F(Output, ArpFramesComeFromTheDevicePool) {
  PoolDevice dev;
  iface.device = &dev;
  send_ip(kPeerIp);
  ASSERT_EQ(iface.tx_queue.size(), 1u);
  EXPECT_EQ(iface.tx_queue[0].pool(), &dev.pool);
  iface.tx_queue.clear();
  link->detach(iface.index);  // drop the pending packet before the device goes
  iface.device = nullptr;
}

}  // namespace
}  // namespace stackd::l2::test
