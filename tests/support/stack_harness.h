// StackHarness: one whole Stack over an in-memory ChannelDevice with a
// ManualClock, the way the Linux peer would see it (STYLE.md #11/#12).
//
//   interface "eth0" 10.0.0.2/24, mac 02:00:00:00:00:02, MTU 1500
//   services: UDP echo on 7, UDP discard on 9
//   peer:     10.0.0.1 at 02:00:00:00:00:01 (answers the stack's ARP)
//
// Adjust `cfg` before start(). send() injects a frame; run() polls until
// the stack is quiet, answering its ARP requests for known peers, and hands
// back everything else it transmitted. finish() destroys the stack and
// reports frames leaked from the device pools.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "nic/channel.h"
#include "nic/fault_injector.h"
#include "stack/config.h"
#include "stack/stack.h"
#include "support/frames.h"

namespace stackd::testsupport {

inline constexpr MacAddr kStackMac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr Ipv4Addr kStackIp = Ipv4Addr::from_octets(10, 0, 0, 2);
inline constexpr Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
inline constexpr Ipv4Addr kSubnetBroadcast = Ipv4Addr::from_octets(10, 0, 0, 255);

// The harness's configuration, for tests (and the fuzzer) that build their own.
stack::StackConfig default_config();

class StackHarness {
 public:
  StackHarness();
  ~StackHarness();
  StackHarness(const StackHarness&) = delete;
  StackHarness& operator=(const StackHarness&) = delete;

  // Build the stack from `cfg` and attach the device (through a seeded
  // fault injector when `faults` is given). Sends the gratuitous ARP.
  void start(std::optional<nic::FaultInjectorConfig> faults = std::nullopt);

  void send(std::span<const uint8_t> frame);
  void send_all(const std::vector<Bytes>& frames);
  size_t poll();
  // Move the clock on and poll once.
  void advance(Duration d);
  // Everything transmitted so far, oldest first.
  std::vector<Bytes> take_tx();
  // Poll until the stack is idle, answering its ARP requests for `peers`;
  // returns the other frames it sent.
  std::vector<Bytes> run();

  uint64_t counter(Counter c) const { return stack_->counters()[c]; }
  uint64_t dropped(DropReason r) const { return stack_->drops()[r]; }
  stack::Stack& stack() { return *stack_; }
  Instant now() const { return clock.now(); }

  // Drain the device, destroy the stack (and fault injector) and check that
  // every frame went back to the device's pools.
  ::testing::AssertionResult finish();

  stack::StackConfig cfg;
  std::map<Ipv4Addr, MacAddr> peers;  // hosts the peer side answers ARP for
  std::map<Ipv6Addr, MacAddr> peers6;  // ... and IPv6 neighbor solicitations for
  ManualClock clock;
  nic::ChannelDevice dev;
  std::unique_ptr<nic::FaultInjector> faults;

 private:
  std::unique_ptr<stack::Stack> stack_;
};

// gtest fixture: a started harness, leak-checked at teardown.
class StackTest : public ::testing::Test, public StackHarness {
 protected:
  void TearDown() override { EXPECT_TRUE(finish()); }
};

}  // namespace stackd::testsupport
