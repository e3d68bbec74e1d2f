// The stateful ingress path (STYLE.md #13): arbitrary frames into a whole
// Stack over a ChannelDevice, with a manual clock the input moves. One
// stack lives across inputs (state builds up as on a real wire: neighbour
// entries, reassembly queues, rate limiters); it must never crash, trip a
// sanitizer, or keep a device frame after the input is done.
//
// Input: records of a 2-byte big-endian header.
//   bit 15 clear: a frame of (header & 0x7fff) bytes follows (cut at the
//                 end of the input); it is injected and the stack polled.
//   bit 15 set:   advance the clock by (header & 0x7fff) milliseconds and
//                 poll (timers: ARP retransmit, reassembly timeout).
// After the last record the stack is polled and the device drained.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "base/byteorder.h"
#include "base/time.h"
#include "nic/channel.h"
#include "stack/config.h"
#include "stack/stack.h"

namespace {

using namespace stackd;

stack::StackConfig fuzz_config() {
  stack::StackConfig c;
  stack::InterfaceConfig eth;
  eth.name = "eth0";
  eth.mac = MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
  eth.addrs.push_back(*IpPrefix::parse("10.0.0.2/24"));
  eth.addrs.push_back(*IpPrefix::parse("fd00::2/64"));  // + fe80::ff:fe00:2
  eth.accept_ra = true;
  c.interfaces.push_back(eth);
  c.neigh.dad_transmits = 0;  // IPv6 addresses usable at once: inputs reach them
  c.routes.push_back({*IpPrefix::parse("10.9.0.0/16"), IpAddr::parse("10.0.0.1"), "", 0, 0});
  c.services.push_back({stack::ServiceKind::kEcho, stack::ServiceProto::kUdp, std::nullopt, 7});
  c.services.push_back({stack::ServiceKind::kDiscard, stack::ServiceProto::kUdp, std::nullopt, 9});
  return c;
}

// Members in this order: the stack goes before the device it transmits to.
struct World {
  World() : dev(nic::DeviceInfo{"eth0", MacAddr{{0x02, 0, 0, 0, 0, 0x02}}, 1500}),
            stack(fuzz_config()) {
    stack.attach(0, dev, clock.now());
    drain();
  }
  // At exit: once every timer has run out (neighbour resolution gives up,
  // reassembly times out), no receive frame may still be held.
  ~World() {
    for (int i = 0; i < 20; ++i) {
      clock.advance(Duration::seconds(30));
      stack.poll(clock.now());
      drain();
    }
    if (dev.rx_pool().in_use() != 0) {
      std::fprintf(stderr, "receive frames leaked: %zu\n", dev.rx_pool().in_use());
      std::abort();
    }
  }
  void drain() {
    while (auto p = dev.take_tx()) {
    }
  }
  ManualClock clock;
  nic::ChannelDevice dev;
  stack::Stack stack;
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 2) {
    uint16_t h = load_be16(in.data());
    in = in.subspan(2);
    if (h & 0x8000) {
      w.clock.advance(Duration::millis(h & 0x7fff));
    } else {
      size_t n = std::min<size_t>(h, in.size());
      w.dev.inject(in.first(n));  // too big for a pool frame: refused, fine
      in = in.subspan(n);
    }
    w.stack.poll(w.clock.now());
    w.drain();
  }
  w.stack.poll(w.clock.now());
  w.drain();
  // The stack took every frame it was given and sent all it produced. It
  // may still hold receive frames legitimately (a reply built in place
  // waiting for ARP); ~World checks those come back once timers expire.
  if (w.dev.rx_pending() != 0 || w.dev.tx_pending() != 0) {
    std::fprintf(stderr, "device not drained: rx %zu tx %zu\n", w.dev.rx_pending(),
                 w.dev.tx_pending());
    std::abort();
  }
  return 0;
}
