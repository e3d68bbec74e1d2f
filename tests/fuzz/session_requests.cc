// The session layer's request decoder and socket table against a hostile
// client (DESIGN.md: the daemon treats the segment as hostile input). A
// whole Stack over a ChannelDevice and one client segment in ordinary
// memory live across inputs; each input is written over the segment as
// the client would scribble it, then the daemon serves the channels and
// syncs sockets. It must never crash, trip a sanitizer or write outside the
// segment; a fresh client attach at the end must still work.
//
// Input: records of a 1-byte kind and a 2-byte big-endian length + bytes.
//   kind % 4 == 0: bytes over channel 0's request slots (raw requests), then
//                  advance its head by (length / 64) + 1
//   kind % 4 == 1: bytes at offset (first 4 bytes, masked into the segment)
//   kind % 4 == 2: a well-formed request: op = byte 0 % 12, slot = byte 1 % 4,
//                  the generation the daemon last gave that slot, args from the rest
//   kind % 4 == 3: advance the clock by length ms
// After each record: serve_channels, then the table's poll.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "base/byteorder.h"
#include "base/time.h"
#include "nic/channel.h"
#include "session/session_table.h"
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
  c.interfaces.push_back(eth);
  return c;
}

struct NoWakeups : session::Wakeups {
  void wake(std::atomic<uint32_t>*) override {}
  void signal_channel(uint32_t) override {}
};

struct World {
  World()
      : dev(nic::DeviceInfo{"eth0", MacAddr{{0x02, 0, 0, 0, 0, 0x02}}, 1500}),
        stack(fuzz_config()),
        table(stack.tcp(), stack.udp()),
        geo(abi::make_geometry(2, 4, 4096)) {
    stack.attach(0, dev, clock.now());
    stack.set_tcp_event_sink([this](uint32_t t) { table.tcp_event(t); });
    // A guard zone after the segment: any write there is a bug.
    mem = static_cast<uint8_t*>(std::aligned_alloc(4096, geo.segment_bytes + 4096));
    std::memset(mem, 0, geo.segment_bytes + 4096);
    std::memset(mem + geo.segment_bytes, 0x5a, 4096);
    client = &table.attach(session::SegmentView{mem, geo}, wakeups);
  }
  void drain() {
    while (auto p = dev.take_tx()) {
    }
  }
  void check_guard() const {
    for (size_t i = 0; i < 4096; ++i)
      if (mem[geo.segment_bytes + i] != 0x5a) {
        std::fprintf(stderr, "write past the segment at +%zu\n", i);
        std::abort();
      }
  }
  ManualClock clock;
  nic::ChannelDevice dev;
  stack::Stack stack;
  session::SessionTable table;
  abi::Geometry geo;
  uint8_t* mem = nullptr;
  NoWakeups wakeups;
  session::ClientSockets* client = nullptr;
  uint32_t gens[4] = {};
};

World& world() {
  static World w;
  return w;
}

abi::Channel& chan0(World& w) { return *reinterpret_cast<abi::Channel*>(w.mem + w.geo.channels_off); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 3) {
    const uint8_t kind = in[0];
    const size_t n = std::min<size_t>(load_be16(in.data() + 1), in.size() - 3);
    const auto bytes = in.subspan(3, n);
    in = in.subspan(3 + n);
    abi::Channel& c = chan0(w);
    switch (kind % 4) {
      case 0: {
        auto* slots = reinterpret_cast<uint8_t*>(c.requests);
        const uint32_t tail = c.req.tail.load();
        std::memcpy(slots + (tail % abi::kRequestSlots) * sizeof(abi::Request), bytes.data(),
                    std::min(bytes.size(), (abi::kRequestSlots - tail % abi::kRequestSlots) * sizeof(abi::Request)));
        c.req.head.store(tail + static_cast<uint32_t>(bytes.size() / 64) + 1);
        break;
      }
      case 1: {
        if (bytes.size() < 4) break;
        const uint32_t off = load_be32(bytes.data()) % w.geo.segment_bytes;
        const size_t m = std::min<size_t>(bytes.size() - 4, w.geo.segment_bytes - off);
        std::memcpy(w.mem + off, bytes.data() + 4, m);
        break;
      }
      case 2: {
        if (bytes.size() < 2) break;
        abi::Request r{};
        r.op = bytes[0] % 12;
        r.sock = bytes[1] % 4;
        r.gen = w.gens[r.sock];
        r.tag = 1;
        std::memcpy(reinterpret_cast<uint8_t*>(&r) + 16, bytes.data() + 2, std::min<size_t>(bytes.size() - 2, 48));
        const uint32_t h = c.req.head.load();
        if (h - c.req.tail.load() < abi::kRequestSlots) {
          c.requests[h % abi::kRequestSlots] = r;
          c.req.head.store(h + 1);
        }
        break;
      }
      default:
        w.clock.advance(Duration::millis(n));
        break;
    }
    w.client->serve_channels(w.clock.now());
    // Learn the generations the daemon handed out (as a client would).
    const uint32_t rh = c.resp.head.load();
    for (uint32_t t = c.resp.tail.load(); t != rh && rh - t <= abi::kResponseSlots; ++t) {
      const abi::Response& r = c.responses[t % abi::kResponseSlots];
      if (r.result == 0 && r.sock < 4) w.gens[r.sock] = r.gen;
    }
    c.resp.tail.store(rh);
    w.stack.poll(w.clock.now());
    w.table.poll(w.clock.now());
    w.drain();
    w.check_guard();
  }
  return 0;
}
