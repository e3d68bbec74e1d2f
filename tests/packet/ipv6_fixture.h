// The fixture of the IPv6 packet tests: the harness's interface with
// fd00::2/64 besides its link-local fe80::ff:fe00:2 (modified EUI-64 of
// 02:00:00:00:00:02), a peer fd00::1 / fe80::1 at 02:00:00:00:00:01, and
// the stack's DAD events recorded. `ready()` runs DAD to completion.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "l2/interface.h"
#include "l2/ipv6_addr.h"
#include "support/frames6.h"
#include "support/stack_harness.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"

namespace stackd::testsupport {

inline const Ipv6Addr kStackLl = A6("fe80::ff:fe00:2");
inline const Ipv6Addr kStackIp6 = A6("fd00::2");
inline const Ipv6Addr kPeerIp6 = A6("fd00::1");
inline const Ipv6Addr kPeerLl = A6("fe80::1");

class Ipv6Test : public StackTest {
 protected:
  struct Event {
    Ipv6Addr addr;
    l2::Ipv6AddrState state;
  };

  void SetUp() override {
    cfg.interfaces[0].addrs.push_back(IpPrefix{kStackIp6, 64});
    peers6[kPeerIp6] = kPeerMac;
    peers6[kPeerLl] = kPeerMac;
  }
  void boot() {
    start();
    stack().set_ipv6_addr_hook([this](const l2::Interface&, const Ipv6Addr& a,
                                      l2::Ipv6AddrState s, Instant) { events.push_back({a, s}); });
    dad = take_tx();
  }
  // Boot and let DAD (one solicitation, RetransTimer 1 s) pass.
  void ready() {
    boot();
    advance(Duration::seconds(1));
    take_tx();
  }
  bool preferred(const Ipv6Addr& a) {
    for (const auto& e : events)
      if (e.addr == a) return e.state == l2::Ipv6AddrState::kPreferred;
    return false;
  }

  std::vector<Event> events;
  std::vector<Bytes> dad;  // what the stack sent when it came up
};

}  // namespace stackd::testsupport
