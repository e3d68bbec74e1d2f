#include <gtest/gtest.h>

#include "ip_test_util.h"

namespace stackd::ip::testing {
namespace {

class Ipv4Output : public IpFixture {
 protected:
  buf::PacketBuf l4(size_t n, uint8_t seed = 1) {
    buf::PacketBuf b = heap.alloc(static_cast<uint32_t>(n));
    EXPECT_TRUE(b.append(static_cast<uint32_t>(n)));
    for (size_t i = 0; i < n; ++i) b.data()[i] = static_cast<uint8_t>(i * 31 + seed);
    return b;
  }
  Ipv4TxParams to(const char* dst, uint8_t proto = 253) {
    Ipv4TxParams p;
    p.dst = A(dst);
    p.protocol = proto;
    return p;
  }
};

TEST_F(Ipv4Output, RouteSelection) {
  Route def;
  def.dst = *IpPrefix::parse("0.0.0.0/0");
  def.gateway = IpAddr(A("10.0.0.1"));
  def.ifindex = 1;
  ip();
  ASSERT_EQ(fib.add(def), FibStatus::kOk);
  Route r2;
  r2.dst = *IpPrefix::parse("172.16.0.0/12");
  r2.gateway = IpAddr(A("192.168.1.1"));
  r2.ifindex = 2;
  r2.mtu = 1400;
  ASSERT_EQ(fib.add(r2), FibStatus::kOk);

  ASSERT_TRUE(ip().output(l4(10), to("8.8.8.8"), clock.now()).ok());
  ASSERT_TRUE(ip().output(l4(10), to("172.16.5.5"), clock.now()).ok());
  ASSERT_TRUE(ip().output(l4(10), to("192.168.1.77"), clock.now()).ok());  // connected
  ASSERT_EQ(l2.sent.size(), 3u);
  EXPECT_EQ(sent(0).ifindex, 1);
  EXPECT_EQ(sent(0).next_hop, A("10.0.0.1"));
  EXPECT_EQ(sent(0).ip.src, A("10.0.0.2"));  // source selection: primary address
  EXPECT_EQ(sent(1).ifindex, 2);
  EXPECT_EQ(sent(1).next_hop, A("192.168.1.1"));
  EXPECT_EQ(sent(1).ip.src, A("192.168.1.2"));
  EXPECT_EQ(sent(2).next_hop, A("192.168.1.77"));
  buf::PacketBuf expect = l4(10);
  EXPECT_EQ(sent(0).payload, std::vector<uint8_t>(expect.bytes().begin(), expect.bytes().end()));
  EXPECT_NE(sent(0).ip.ident, sent(1).ip.ident);
  EXPECT_EQ(ip().route(A("172.16.0.1"))->mtu, 1400u);  // route MTU below the link's
  EXPECT_EQ(counters[Counter::IpOutRequests], 3u);
}

TEST_F(Ipv4Output, NoRoute) {
  auto r = ip().output(l4(10), to("8.8.8.8"), clock.now());
  EXPECT_EQ(r.reason, DropReason::kIpNoRoute);
  EXPECT_EQ(counters[Counter::IpOutNoRoutes], 1u);
  EXPECT_EQ(drops[DropReason::kIpNoRoute], 1u);
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(Ipv4Output, BroadcastAndMulticast) {
  Ipv4TxParams p = to("255.255.255.255");
  p.ifindex = 2;
  ASSERT_TRUE(ip().output(l4(8), p, clock.now()).ok());
  ASSERT_TRUE(ip().output(l4(8), to("10.0.0.255"), clock.now()).ok());
  ASSERT_TRUE(ip().output(l4(8), to("224.0.0.251"), clock.now()).ok());
  EXPECT_EQ(sent(0).ifindex, 2);
  EXPECT_EQ(sent(0).ip.src, A("192.168.1.2"));
  EXPECT_EQ(sent(0).next_hop, A("255.255.255.255"));
  EXPECT_EQ(sent(1).ifindex, 1);
  EXPECT_EQ(sent(1).ip.dst, A("10.0.0.255"));
  EXPECT_EQ(sent(1).next_hop, A("255.255.255.255"));  // link broadcast
  EXPECT_EQ(sent(2).next_hop, A("224.0.0.251"));
  EXPECT_EQ(sent(2).ip.ttl, 1);  // RFC 1112 §6.1
  EXPECT_EQ(counters[Counter::IpExtOutBcastPkts], 2u);
  EXPECT_EQ(counters[Counter::IpExtOutMcastPkts], 1u);
}

TEST_F(Ipv4Output, FragmentsToTheMtuAndTheyReassemble) {
  buf::PacketBuf payload = l4(4000, 9);
  std::vector<uint8_t> want(payload.bytes().begin(), payload.bytes().end());
  ASSERT_TRUE(ip().output(std::move(payload), to("10.0.0.1"), clock.now()).ok());
  ASSERT_EQ(l2.sent.size(), 3u);
  EXPECT_EQ(counters[Counter::IpFragCreates], 3u);
  EXPECT_EQ(counters[Counter::IpFragOKs], 1u);
  Counters c2;
  DropStats d2;
  buf::HeapPool h2;
  Reassembler peer(ReasmLimits{}, h2, c2, d2);
  std::optional<Reassembled> whole;
  for (size_t i = 0; i < l2.sent.size(); ++i) {
    Out o = sent(i);
    EXPECT_LE(l2.sent[i].pkt.size(), 1500u);
    EXPECT_EQ(o.ip.frag_offset % 8, 0);
    EXPECT_EQ(o.ip.more_frags, i + 1 < l2.sent.size());
    EXPECT_EQ(o.ip.ident, sent(0).ip.ident);
    FragmentIn f{o.ip.src, o.ip.dst, o.ip.ident, o.ip.protocol, o.ip.frag_offset,
                 o.ip.more_frags, 1, l2.sent[i].pkt.bytes().first(20), o.payload};
    whole = peer.add(f, clock.now());
  }
  ASSERT_TRUE(whole);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), whole->payload.bytes().begin(),
                         whole->payload.bytes().end()));
}

TEST_F(Ipv4Output, DontFragmentTooBigIsRefusedWithMtu) {
  Ipv4TxParams p = to("10.0.0.1");
  p.df = true;
  auto r = ip().output(l4(1481), p, clock.now());
  EXPECT_EQ(r.reason, DropReason::kIpFragNeededDf);
  EXPECT_EQ(r.mtu, 1500u);
  EXPECT_EQ(counters[Counter::IpFragFails], 1u);
  EXPECT_TRUE(l2.sent.empty());
  EXPECT_TRUE(ip().output(l4(1480), p, clock.now()).ok());  // exactly the MTU
  EXPECT_TRUE(sent(0).ip.dont_frag);
}

TEST_F(Ipv4Output, LargerThan65535IsRefused) {
  EXPECT_EQ(ip().output(l4(65516), to("10.0.0.1"), clock.now()).reason,
            DropReason::kIpFragTooBig);
}

TEST_F(Ipv4Output, LocalDeliveryWithoutADevice) {
  RecordingHandler h;
  ip().register_protocol(253, h);
  ASSERT_TRUE(ip().output(l4(5000), to("192.168.1.2"), clock.now()).ok());
  EXPECT_TRUE(l2.sent.empty());
  EXPECT_TRUE(h.inputs.empty());  // delivered on the next poll
  EXPECT_LE(ip().poll_at(), clock.now());
  ip().poll(clock.now());
  ASSERT_EQ(h.inputs.size(), 1u);
  EXPECT_EQ(h.inputs[0].payload.size(), 5000u);
  EXPECT_EQ(h.inputs[0].meta.src, A("192.168.1.2"));
  EXPECT_EQ(h.inputs[0].meta.dst, A("192.168.1.2"));
  EXPECT_EQ(ip().poll_at(), Instant::never());
}

// A transport builds a datagram to our own address on the heap: the local
// route's 64 KiB MTU exceeds a frame of the interface's pool (2048 here).
TEST_F(Ipv4Output, PoolToOwnAddressIsTheHeap) {
  EXPECT_EQ(ip().route(A("10.0.0.2"))->mtu, 65535u);
  EXPECT_EQ(&ip().pool_to(A("10.0.0.2"), 1), &heap);
  EXPECT_EQ(&ip().pool_to(A("192.168.1.2"), 1), &heap);  // weak host: any interface's
  EXPECT_EQ(&ip().pool_to(A("10.0.0.1"), 1), &ip().pool_for(1));
  EXPECT_EQ(&ip().pool_to(A("10.0.0.1"), 1), &pool);  // no device: the given pool
  EXPECT_FALSE(pool.alloc(65535));  // why: a frame cannot hold a local datagram
}

TEST_F(Ipv4Output, CopiesWhenThereIsNoHeadroom) {
  buf::PacketBuf b = heap.alloc(10, 0);
  ASSERT_TRUE(b.append(10));
  ASSERT_TRUE(ip().output(std::move(b), to("10.0.0.1"), clock.now()).ok());
  EXPECT_EQ(l2.sent[0].pkt.size(), 30u);
}

// A 60000-byte echo request arrives in fragments; the reply leaves in
// MTU-1500 fragments that reassemble to the right reply.
TEST_F(Ipv4Output, LargeEchoReplyIsFragmented) {
  auto req = echo_request(9, 9, 60000 - 8);
  auto h = hdr(1);
  h.ident = 999;
  for (uint32_t off = 0; off < req.size(); off += 1480) {
    uint32_t len = std::min<uint32_t>(1480, static_cast<uint32_t>(req.size()) - off);
    h.frag_offset = static_cast<uint16_t>(off);
    h.more_frags = off + len < req.size();
    rx(packet(h, std::span<const uint8_t>(req).subspan(off, len)));
  }
  ASSERT_EQ(l2.sent.size(), (60000 + 1479) / 1480);
  Counters c2;
  DropStats d2;
  buf::HeapPool h2;
  Reassembler peer(ReasmLimits{}, h2, c2, d2);
  std::optional<Reassembled> whole;
  for (size_t i = 0; i < l2.sent.size(); ++i) {
    EXPECT_LE(l2.sent[i].pkt.size(), 1500u);
    Out o = sent(i);
    FragmentIn f{o.ip.src, o.ip.dst, o.ip.ident, o.ip.protocol, o.ip.frag_offset,
                 o.ip.more_frags, 1, l2.sent[i].pkt.bytes().first(20), o.payload};
    whole = peer.add(f, clock.now());
  }
  ASSERT_TRUE(whole);
  auto icmp = wire::Icmpv4Repr::parse(whole->payload.bytes());
  ASSERT_TRUE(icmp.ok());
  auto* e = std::get_if<wire::Icmpv4Echo>(&icmp->msg);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->reply);
  EXPECT_EQ(e->data.size(), 60000u - 8);
  EXPECT_TRUE(std::equal(e->data.begin(), e->data.end(), req.begin() + 8, req.end()));
}

}  // namespace
}  // namespace stackd::ip::testing

namespace stackd::ip::testing {
namespace {

TEST_F(IpFixture, LinkFailureReportsHostUnreachableToTheSender) {
  RecordingHandler h;
  ip().register_protocol(253, h);
  buf::PacketBuf b = heap.alloc(16);
  ASSERT_TRUE(b.append(16));
  std::fill(b.data(), b.data() + 16, 0x5a);
  Ipv4TxParams p;
  p.dst = A("10.0.0.9");
  p.protocol = 253;
  ASSERT_TRUE(ip().output(std::move(b), p, clock.now()).ok());
  ASSERT_EQ(l2.sent.size(), 1u);
  buf::PacketBuf lost = std::move(l2.sent[0].pkt);
  l2.sent.clear();
  ip().link_failure(eth, std::span(&lost, 1), clock.now());
  EXPECT_TRUE(l2.sent.empty());  // the ICMP message goes to ourselves
  ip().poll(clock.now());
  ASSERT_EQ(h.errors.size(), 1u);
  EXPECT_EQ(h.errors[0].type, 3);
  EXPECT_EQ(h.errors[0].code, wire::icmpv4_unreach::kHost);
  EXPECT_EQ(h.errors[0].dst, A("10.0.0.9"));
  EXPECT_EQ(h.error_l4[0], std::vector<uint8_t>(16, 0x5a));
}

}  // namespace
}  // namespace stackd::ip::testing
