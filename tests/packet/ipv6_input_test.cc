// IPv6 input and ICMPv6 through the whole stack (RFC 8200, RFC 4443):
// echo (also 60000 bytes in fragments), the extension-header chain (deep
// chains, RH0, options by their action bits, Hop-by-Hop not first,
// unknown next header), fragments (overlaps, atomic fragments, RFC 7112,
// timeout), address rules, and the ICMPv6 error rules.
#include <algorithm>

#include "ipv6_fixture.h"

namespace stackd::testsupport {
namespace {

namespace ip6 = wire::ip_proto;
namespace t6 = wire::icmpv6_type;

class Ipv6In : public Ipv6Test {
 protected:
  void SetUp() override {
    Ipv6Test::SetUp();
    ready();
  }
  // A frame from the peer to us with `payload` after the fixed header.
  Bytes frame(uint8_t next_header, std::span<const uint8_t> payload,
              const Ipv6Addr& dst = kStackIp6) {
    return eth_ipv6(kPeerMac, kStackMac,
                    ipv6_packet({kPeerIp6, dst, next_header, 64, 0, 0, 0}, payload));
  }
  Bytes echo(uint16_t seq, size_t n = 16) {
    return icmpv6_echo(kPeerIp6, kStackIp6, 9, seq, pattern(n));
  }
  // The one ICMPv6 message the stack answered with (it points into `tx`:
  // no temporaries).
  std::optional<Parsed6> one_icmp(std::vector<Bytes>&&) = delete;
  bool one_icmp_answer(const std::vector<Bytes>& tx) { return one_icmp(tx).has_value(); }
  std::optional<Parsed6> one_icmp(const std::vector<Bytes>& tx) {
    if (tx.size() != 1) return std::nullopt;
    auto p = parse6(tx[0]);
    if (!p || p->upper != ip6::kIcmpv6) return std::nullopt;
    EXPECT_TRUE(wire::Icmpv6View<const uint8_t>(p->l4).verify_checksum(p->ip.src, p->ip.dst));
    return p;
  }
  void expect_param_problem(const std::vector<Bytes>& tx, uint8_t code, uint32_t pointer) {
    auto p = one_icmp(tx);
    ASSERT_TRUE(p);
    wire::Icmpv6View<const uint8_t> v(p->l4);
    EXPECT_EQ(v.type(), t6::kParamProblem);
    EXPECT_EQ(v.code(), code);
    EXPECT_EQ(v.rest(), pointer);
    EXPECT_EQ(p->ip.dst, kPeerIp6);
  }
};

TEST_F(Ipv6In, EchoToTheGlobalAndLinkLocalAddresses) {
  for (const Ipv6Addr& dst : {kStackIp6, kStackLl}) {
    const Ipv6Addr src = dst.is_link_local() ? kPeerLl : kPeerIp6;
    send(eth_ping6(kPeerMac, kStackMac, src, dst, 3, 4, pattern(56)));
    auto tx = run();  // Parsed6 points into it
    auto p = one_icmp(tx);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->ip.src, dst);
    EXPECT_EQ(p->ip.dst, src);
    EXPECT_EQ(p->ip.hop_limit, 64);
    wire::Icmpv6View<const uint8_t> v(p->l4);
    EXPECT_EQ(v.type(), t6::kEchoReply);
    EXPECT_EQ(v.echo_id(), 3);
    EXPECT_EQ(v.echo_seq(), 4);
    EXPECT_TRUE(std::ranges::equal(v.data(), pattern(56)));
  }
  EXPECT_EQ(counter(Counter::Icmp6InEchos), 2u);
  EXPECT_EQ(counter(Counter::Icmp6OutEchoReplies), 2u);
  // Two echoes and the two advertisements answering our solicitations.
  EXPECT_EQ(counter(Counter::Ip6InDelivers), 4u);
}

TEST_F(Ipv6In, SixtyThousandByteEchoInFragmentsComesBackInFragments) {
  auto req = frame(ip6::kIcmpv6, icmpv6_echo(kPeerIp6, kStackIp6, 1, 1, pattern(60000)));
  send_all(fragment_frame6(req, 1500, 77));
  auto tx = run();
  ASSERT_GT(tx.size(), 40u);
  for (const auto& f : tx) {
    EXPECT_LE(f.size(), 14u + 1500u);
    ASSERT_TRUE(parse6(f) && parse6(f)->frag);
  }
  auto whole = reassemble6(tx);
  ASSERT_TRUE(whole);
  wire::Icmpv6View<const uint8_t> v{std::span<const uint8_t>(*whole)};
  EXPECT_EQ(v.type(), t6::kEchoReply);
  EXPECT_TRUE(v.verify_checksum(kStackIp6, kPeerIp6));
  EXPECT_TRUE(std::ranges::equal(v.data(), pattern(60000)));
  EXPECT_EQ(counter(Counter::Ip6ReasmOKs), 1u);
  EXPECT_EQ(counter(Counter::Ip6FragOKs), 1u);
  EXPECT_EQ(counter(Counter::Ip6FragCreates), tx.size());
}

TEST_F(Ipv6In, OverlappingFragmentDiscardsTheWholeDatagram) {
  auto frags = fragment_frame6(frame(ip6::kIcmpv6, echo(1, 3000)), 1280, 5);
  ASSERT_EQ(frags.size(), 3u);
  // A copy of the second fragment shifted by 8 bytes overlaps it.
  Bytes evil = frags[1];
  const size_t off = 14 + 40 + 2;
  const uint16_t fo = static_cast<uint16_t>((evil[off] << 8 | evil[off + 1]) + 8);
  evil[off] = static_cast<uint8_t>(fo >> 8);
  evil[off + 1] = static_cast<uint8_t>(fo);
  send(frags[0]);
  send(frags[1]);
  send(evil);
  send(frags[2]);
  EXPECT_TRUE(run().empty());  // RFC 5722 §4: nothing is delivered
  EXPECT_EQ(dropped(DropReason::kIpFragOverlap), 1u);
  EXPECT_EQ(counter(Counter::Ip6ReasmOKs), 0u);
  EXPECT_EQ(counter(Counter::Icmp6InEchos), 0u);
}

TEST_F(Ipv6In, AtomicFragmentIsProcessedAsAWholePacket) {
  Bytes fh(8);
  wire::Ipv6FragRepr{ip6::kIcmpv6, 0, false, 1234}.emit(fh);
  send(frame(ip6::kIpv6Frag, cat({fh, echo(1)})));
  auto tx = run();  // Parsed6 points into it
  auto p = one_icmp(tx);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], t6::kEchoReply);
  EXPECT_EQ(counter(Counter::Ip6ReasmReqds), 0u);  // RFC 6946: no reassembly
}

TEST_F(Ipv6In, DeepChainIsDroppedAtTheBound) {
  // Nine Destination Options headers: past kIpv6MaxExtHeaders.
  Bytes chain;
  for (int i = 0; i < 9; ++i)
    chain = cat({options_header(i == 0 ? ip6::kIcmpv6 : ip6::kIpv6Opts, {}), chain});
  send(frame(ip6::kIpv6Opts, cat({chain, echo(1)})));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIp6ExtChainTooLong), 1u);
  EXPECT_EQ(counter(Counter::Ip6InHdrErrors), 1u);
  // Eight are fine.
  chain.clear();
  for (int i = 0; i < 8; ++i)
    chain = cat({options_header(i == 0 ? ip6::kIcmpv6 : ip6::kIpv6Opts, {}), chain});
  send(frame(ip6::kIpv6Opts, cat({chain, echo(2)})));
  EXPECT_TRUE(one_icmp_answer(run()));
}

TEST_F(Ipv6In, RoutingHeaderType0IsRefusedWithAParameterProblem) {
  send(frame(ip6::kIpv6Route, cat({routing_header(ip6::kIcmpv6, 0, 1), echo(1)})));
  expect_param_problem(run(), 0, 40 + 2);  // RFC 5095 §3, RFC 8200 §4.4
  EXPECT_EQ(dropped(DropReason::kIp6Rh0), 1u);
  // With no segments left any routing header is ignored.
  send(frame(ip6::kIpv6Route, cat({routing_header(ip6::kIcmpv6, 0, 0), echo(2)})));
  auto tx = run();  // Parsed6 points into it
  auto p = one_icmp(tx);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], t6::kEchoReply);
}

TEST_F(Ipv6In, UnknownOptionsFollowTheirActionBits) {
  const uint8_t skip[] = {0x1e, 2, 0, 0}, discard[] = {0x5e, 2, 0, 0}, icmp[] = {0x9e, 2, 0, 0},
                icmp_unicast[] = {0xde, 2, 0, 0};
  send(frame(ip6::kHopByHop, cat({options_header(ip6::kIcmpv6, skip), echo(1)})));
  EXPECT_TRUE(one_icmp_answer(run()));  // 00: skipped, the echo is answered
  send(frame(ip6::kHopByHop, cat({options_header(ip6::kIcmpv6, discard), echo(2)})));
  EXPECT_TRUE(run().empty());  // 01: silently
  EXPECT_EQ(dropped(DropReason::kIp6UnknownOption), 1u);
  send(frame(ip6::kIpv6Opts, cat({options_header(ip6::kIcmpv6, icmp), echo(3)})));
  expect_param_problem(run(), 2, 40 + 2);
  send(frame(ip6::kIpv6Opts, cat({options_header(ip6::kIcmpv6, icmp_unicast), echo(4)})));
  expect_param_problem(run(), 2, 40 + 2);
  // 11 to a multicast destination: dropped without an error (§4.2).
  auto to_all = eth_ipv6(kPeerMac, mcast_mac6(l2::kAllNodes),
                         ipv6_packet({kPeerIp6, l2::kAllNodes, ip6::kIpv6Opts, 64, 0, 0, 0},
                                     cat({options_header(ip6::kIcmpv6, icmp_unicast),
                                          icmpv6_echo(kPeerIp6, l2::kAllNodes, 9, 5, pattern(8))})));
  send(to_all);
  EXPECT_TRUE(run().empty());
  // 10 to a multicast destination: the error is sent anyway.
  auto to_all2 = eth_ipv6(kPeerMac, mcast_mac6(l2::kAllNodes),
                          ipv6_packet({kPeerIp6, l2::kAllNodes, ip6::kIpv6Opts, 64, 0, 0, 0},
                                      cat({options_header(ip6::kIcmpv6, icmp),
                                           icmpv6_echo(kPeerIp6, l2::kAllNodes, 9, 6, pattern(8))})));
  send(to_all2);
  expect_param_problem(run(), 2, 40 + 2);
  EXPECT_EQ(dropped(DropReason::kIp6UnknownOption), 5u);
}

TEST_F(Ipv6In, HopByHopAfterAnotherHeaderIsMalformed) {
  send(frame(ip6::kIpv6Opts,
             cat({options_header(ip6::kHopByHop, {}), options_header(ip6::kIcmpv6, {}), echo(1)})));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIp6BadExtHeader), 1u);
}

TEST_F(Ipv6In, UnknownNextHeaderGetsParameterProblemCode1) {
  send(frame(253, pattern(16)));
  expect_param_problem(run(), 1, 6);
  send(frame(ip6::kIpv6Opts, cat({options_header(253, {}), pattern(16)})));
  expect_param_problem(run(), 1, 40);
  EXPECT_EQ(counter(Counter::Ip6InUnknownProtos), 2u);
}

TEST_F(Ipv6In, FirstFragmentWithoutTheWholeChainIsDropped) {
  // RFC 7112: Fragment header, then a Destination Options header that
  // continues past the fragment's data.
  Bytes fh(8);
  wire::Ipv6FragRepr{ip6::kIpv6Opts, 0, true, 99}.emit(fh);
  Bytes opts = options_header(ip6::kIcmpv6, pattern(60));
  Bytes cut(opts.begin(), opts.begin() + 32);
  send(frame(ip6::kIpv6Frag, cat({fh, cut})));
  expect_param_problem(run(), 3, 0);
  EXPECT_EQ(dropped(DropReason::kIp6FragHeaderChain), 1u);
}

TEST_F(Ipv6In, ReassemblyTimeoutSendsTimeExceeded) {
  auto frags = fragment_frame6(frame(ip6::kIcmpv6, echo(1, 3000)), 1280, 6);
  send(frags[0]);
  EXPECT_TRUE(run().empty());
  advance(Duration::seconds(31));
  auto tx = run();  // Parsed6 points into it
  auto p = one_icmp(tx);  // run() answers the solicitation for the peer
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], t6::kTimeExceeded);
  EXPECT_EQ(p->l4[1], 1);  // fragment reassembly time exceeded
  EXPECT_EQ(counter(Counter::Ip6ReasmTimeout), 1u);
}

TEST_F(Ipv6Test, ReassemblyMemoryIsBoundedEvictingTheOldest) {
  cfg.ip.reasm_max_bytes = 64 * 1024;
  ready();
  // First fragments of 100 datagrams that never complete: ~1.3 KiB each.
  for (uint32_t id = 1; id <= 100; ++id) {
    auto req = eth_ipv6(kPeerMac, kStackMac,
                        ipv6_packet({kPeerIp6, kStackIp6, wire::ip_proto::kIcmpv6, 64, 0, 0, 0},
                                    icmpv6_echo(kPeerIp6, kStackIp6, 1, 1, pattern(3000))));
    send(fragment_frame6(req, 1280, id)[0]);
  }
  EXPECT_TRUE(run().empty());
  EXPECT_GT(dropped(DropReason::kIpReasmMemory), 40u);
  EXPECT_EQ(counter(Counter::Ip6ReasmFails), dropped(DropReason::kIpReasmMemory));
  EXPECT_EQ(counter(Counter::IpReasmFails), 0u);  // the IPv6 counters, not IPv4's
  // The newest ones are still held: completing the last datagram works.
  auto last = fragment_frame6(
      eth_ipv6(kPeerMac, kStackMac,
               ipv6_packet({kPeerIp6, kStackIp6, wire::ip_proto::kIcmpv6, 64, 0, 0, 0},
                           icmpv6_echo(kPeerIp6, kStackIp6, 1, 1, pattern(3000)))),
      1280, 100);
  send(last[1]);
  send(last[2]);
  EXPECT_EQ(run().size(), 3u);  // the echo reply, in fragments
  EXPECT_EQ(counter(Counter::Ip6ReasmOKs), 1u);
}

TEST_F(Ipv6In, SourceAndDestinationRules) {
  // Multicast source, ::1 from the wire, another host's address.
  send(eth_ping6(kPeerMac, kStackMac, A6("ff02::1"), kStackIp6, 1, 1, pattern(8)));
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, Ipv6Addr::loopback(), 1, 1, pattern(8)));
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, A6("fd00::77"), 1, 1, pattern(8)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIp6BadSource), 2u);
  EXPECT_EQ(dropped(DropReason::kIp6NotForUs), 1u);
  EXPECT_EQ(counter(Counter::Ip6InAddrErrors), 3u);
}

TEST_F(Ipv6In, NoErrorAboutAnIcmpv6Error) {
  // A destination unreachable to an unknown next header... would be an
  // error about an error: the invoking packet is an ICMPv6 error itself.
  wire::Icmpv6Repr err{wire::Icmpv6DestUnreachable{4, {}}};
  Bytes m(err.buffer_len());
  err.emit(m, kPeerIp6, kStackIp6);
  Bytes opts = options_header(ip6::kIcmpv6, std::span<const uint8_t>(std::array<uint8_t, 4>{0x9e, 2, 0, 0}));
  send(frame(ip6::kIpv6Opts, cat({opts, m})));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIp6UnknownOption), 1u);
  EXPECT_EQ(counter(Counter::Icmp6OutParmProblems), 0u);
}

TEST_F(Ipv6In, ErrorsAreRateLimitedPerDestination) {
  for (int i = 0; i < 10; ++i) send(frame(253, pattern(8)));
  auto tx = run();
  EXPECT_EQ(tx.size(), 6u);  // the per-host burst (Linux XRLIM_BURST_FACTOR)
  EXPECT_EQ(dropped(DropReason::kIcmpRateLimited), 4u);
}

}  // namespace
}  // namespace stackd::testsupport
