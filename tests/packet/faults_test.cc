// 200 UDP echos through a seeded FaultInjector (drop, duplicate, reorder on
// the stack's receive side) with a resend-on-timeout client: every payload
// comes back identical, and the whole run is a function of the seed.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "base/byteorder.h"
#include "support/checker.h"
#include "support/stack_harness.h"

namespace stackd::testsupport {
namespace {

constexpr uint16_t kCount = 200;
constexpr size_t kWindow = 16;                  // datagrams in flight
constexpr Duration kStep = Duration::millis(10);
constexpr Duration kResend = Duration::millis(200);

Bytes payload_for(uint16_t seq) {
  Bytes p = pattern(64 + seq % 200, static_cast<uint8_t>(seq));
  store_be16(p.data(), seq);
  return p;
}

struct Outcome {
  size_t sends = 0;
  size_t replies = 0;  // including duplicates
  std::set<uint16_t> done;
  std::vector<uint16_t> reply_order;
  nic::FaultStats faults;
  bool leak_free = false;
};

Outcome echo_through_faults(uint64_t seed) {
  StackHarness h;
  nic::FaultInjectorConfig fc;
  fc.seed = seed;
  fc.rx.drop = 0.1;
  fc.rx.duplicate = 0.1;
  fc.rx.reorder = 0.1;
  h.start(fc);
  h.take_tx();
  Outcome o;
  std::vector<Instant> sent_at(kCount, Instant::never());
  uint16_t next = 0;
  for (int step = 0; step < 20000 && o.done.size() < kCount; ++step) {
    // Resend what timed out, then open the window.
    size_t in_flight = 0;
    for (uint16_t s = 0; s < next; ++s) {
      if (o.done.contains(s)) continue;
      if (h.now() - sent_at[s] >= kResend) {
        h.send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 30000, 7, payload_for(s)));
        sent_at[s] = h.now();
        ++o.sends;
      }
      ++in_flight;
    }
    while (next < kCount && in_flight < kWindow) {
      h.send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 30000, 7, payload_for(next)));
      sent_at[next++] = h.now();
      ++o.sends;
      ++in_flight;
    }
    for (const auto& f : h.run()) {
      auto p = parse_frame(f);
      if (!p.udp || p.l4_payload.size() < 2) continue;
      uint16_t seq = load_be16(p.l4_payload.data());
      EXPECT_LT(seq, kCount);
      if (seq >= kCount) continue;
      EXPECT_TRUE(expect_frame(f, Eth(Dst(kPeerMac)), Ipv4(Dst(kPeerIp)),
                               Udp(SrcPort(7), DstPort(30000), Payload(payload_for(seq)))));
      ++o.replies;
      o.reply_order.push_back(seq);
      o.done.insert(seq);
    }
    h.clock.advance(kStep);
  }
  o.faults = h.faults->rx_stats();
  o.leak_free = static_cast<bool>(h.finish());
  return o;
}

TEST(FaultPacket, EveryEchoComesBackThroughDropDupReorder) {
  Outcome o = echo_through_faults(42);
  EXPECT_EQ(o.done.size(), kCount);
  EXPECT_TRUE(o.leak_free);
  // The impairments really happened, and were recovered from.
  EXPECT_GT(o.faults.dropped, 0u);
  EXPECT_GT(o.faults.duplicated, 0u);
  EXPECT_GT(o.faults.reordered, 0u);
  EXPECT_GT(o.sends, kCount);      // something was resent
  EXPECT_GT(o.replies, kCount);    // duplicates were echoed too
}

TEST(FaultPacket, RunIsDeterministicForTheSeed) {
  Outcome a = echo_through_faults(7);
  Outcome b = echo_through_faults(7);
  EXPECT_EQ(a.sends, b.sends);
  EXPECT_EQ(a.reply_order, b.reply_order);
  EXPECT_EQ(a.faults.dropped, b.faults.dropped);
  EXPECT_EQ(a.faults.duplicated, b.faults.duplicated);
  EXPECT_EQ(a.faults.reordered, b.faults.reordered);
  Outcome c = echo_through_faults(8);
  EXPECT_NE(a.reply_order, c.reply_order) << "the seed should change the run";
}

}  // namespace
}  // namespace stackd::testsupport
