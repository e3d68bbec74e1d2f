// The core receive path: UDP/IPv4/Ethernet frames already in memory,
// through Ethernet -> IPv4 -> UDP demux into a UdpSocket's receive queue,
// in bursts. Two cuts of the same path:
//
//   BM_StackPoll: the whole Stack::poll over an in-memory device whose
//     rx_burst hands out frames of a FixedPool that already hold the bytes
//     (refill = re-set the data window, no copy); the stack's discard
//     service (RFC 863, port 9) is the socket and drains it every poll.
//   BM_LayerPath: Link::input -> Ipv4Layer -> UdpLayer -> a bound UdpSocket
//     built directly (daemon/ip/README.md wiring), drained with recv().
//
// Frames: 64 bytes (Ethernet 14 + IPv4 20 + UDP 8 + 22 payload) and
// 1514 bytes (1472 payload) for bytes/s. Both checksums valid and verified.
// Target: 15 Mpps per core, i.e. under 67 ns a frame.
//
//   ./build/bench/tests/bench_rx_path --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <memory>
#include <span>
#include <vector>

#include "base/byteorder.h"
#include "buf/pool.h"
#include "ip/fib.h"
#include "ip/filter/filter.h"
#include "ip/ipv4.h"
#include "l2/link.h"
#include "nic/device.h"
#include "stack/stack.h"
#include "transport/udp.h"
#include "wire/checksum.h"

namespace stackd {
namespace {

constexpr MacAddr kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
constexpr Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr uint16_t kDiscardPort = 9;  // RFC 863
constexpr uint32_t kPoolFrames = 512;
constexpr uint32_t kFrameSize = 2048;

// Ethernet + IPv4 + UDP with valid IPv4 and UDP checksums (RFC 791, RFC 768).
std::vector<uint8_t> udp_frame(uint32_t payload_len, uint16_t dst_port) {
  const uint32_t udp_len = 8 + payload_len, ip_len = 20 + udp_len;
  std::vector<uint8_t> f(14 + ip_len);
  uint8_t* p = f.data();
  for (int i = 0; i < 6; ++i) p[i] = kOurMac.b[i], p[6 + i] = kPeerMac.b[i];
  store_be16(p + 12, 0x0800);
  uint8_t* ip = p + 14;
  ip[0] = 0x45;
  store_be16(ip + 2, static_cast<uint16_t>(ip_len));
  store_be16(ip + 4, 0x1234);
  ip[8] = 64;
  ip[9] = 17;
  store_be32(ip + 12, kPeerIp.v);
  store_be32(ip + 16, kOurIp.v);
  store_be16(ip + 10, wire::internet_checksum({ip, 20}));
  uint8_t* u = ip + 20;
  store_be16(u + 0, 40000);
  store_be16(u + 2, dst_port);
  store_be16(u + 4, static_cast<uint16_t>(udp_len));
  for (uint32_t i = 0; i < payload_len; ++i) u[8 + i] = static_cast<uint8_t>(i * 7 + 1);
  uint32_t sum = wire::checksum_add(
      wire::ipv4_pseudo_header_sum(kPeerIp, kOurIp, 17, static_cast<uint16_t>(udp_len)),
      wire::checksum_partial({u, udp_len}));
  uint16_t c = wire::checksum_finish(sum);
  store_be16(u + 6, c == 0 ? 0xffff : c);
  return f;
}

// Writes `frame` into every frame of `pool` once. Nothing on the receive
// path writes to the frame bytes, so afterwards a frame handed out by
// alloc() already holds the packet and only its window needs setting.
void prefill(buf::FixedPool& pool, std::span<const uint8_t> frame) {
  std::vector<buf::PacketBuf> all;
  while (auto p = pool.alloc(static_cast<uint32_t>(frame.size()))) {
    (void)p.append(static_cast<uint32_t>(frame.size()));
    std::copy(frame.begin(), frame.end(), p.data());
    all.push_back(std::move(p));
  }
}

buf::PacketBuf next_frame(buf::FixedPool& pool, uint32_t len) {
  buf::PacketBuf p = pool.alloc(len);
  (void)p.set_window(buf::kDefaultHeadroom, len);
  return p;
}

// A device serving the same pre-built frame `burst` times per rx_burst.
class BenchDevice final : public nic::Device {
 public:
  BenchDevice(std::span<const uint8_t> frame, size_t burst)
      : info_{"bench0", kOurMac, 1500},
        pool_(kPoolFrames, kFrameSize),
        len_(static_cast<uint32_t>(frame.size())),
        burst_(burst) {
    prefill(pool_, frame);
  }
  const nic::DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant) override {
    size_t n = std::min(out.size(), burst_);
    for (size_t i = 0; i < n; ++i) out[i] = next_frame(pool_, len_);
    return n;
  }
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant) override {
    for (auto& p : pkts) p.reset();  // gratuitous ARP at attach
    return pkts.size();
  }
  // Transmitted frames (the gratuitous ARP at attach) come from their own
  // pool, so that they never overwrite a pre-built receive frame.
  buf::FramePool& tx_pool() override { return tx_pool_; }

 private:
  nic::DeviceInfo info_;
  buf::FixedPool pool_;
  buf::FixedPool tx_pool_{16, kFrameSize};
  uint32_t len_;
  size_t burst_;
};

void report(benchmark::State& state, size_t frames, uint32_t frame_len) {
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(frames) * frame_len);
  state.counters["ns/frame"] = benchmark::Counter(
      static_cast<double>(frames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// `rules` firewall rules at the input hook that this traffic does not
// match (it is accepted by the policy after all of them), in the mix an
// operator writes: half `tcp dport P accept` (exact-port buckets), a
// quarter `udp dport P drop` for other ports, a quarter
// `ip saddr 192.168.X.0/24 drop` (the general list). `ports_only`: only
// the port rules (the compiled chain's exact-port buckets).
void add_firewall_rules(ip::filter::Filter& fw, size_t rules, bool ports_only) {
  for (size_t i = 0; i < rules; ++i) {
    ip::filter::Rule r;
    switch (ports_only ? i % 3 : i % 4) {
      case 0:
      case 1:
        r.match.proto = 6;
        r.match.dport = ip::filter::PortRange{static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1000 + i)};
        r.action = ip::filter::Action::kAccept;
        break;
      case 2:
        r.match.proto = 17;
        r.match.dport = ip::filter::PortRange{static_cast<uint16_t>(20000 + i), static_cast<uint16_t>(20000 + i)};
        r.action = ip::filter::Action::kDrop;
        break;
      default:
        r.match.src = IpPrefix{Ipv4Addr::from_octets(192, 168, static_cast<uint8_t>(i % 256), 0), 24};
        r.action = ip::filter::Action::kDrop;
        break;
    }
    if (!fw.append(ip::filter::Hook::kInput, r)) std::abort();
  }
}

void stack_poll(benchmark::State& state, size_t fw_rules, bool ports_only = false) {
  const auto burst = static_cast<size_t>(state.range(0));
  const auto payload = static_cast<uint32_t>(state.range(1));
  const auto frame = udp_frame(payload, kDiscardPort);
  BenchDevice dev(frame, burst);
  stack::StackConfig cfg;
  cfg.interfaces.push_back({.name = "bench0",
                            .backend = stack::Backend::kAuto,
                            .mac = kOurMac,
                            .mtu = 1500,
                            .addrs = {*IpPrefix::parse("10.0.0.2/24")}});
  cfg.services.push_back({.kind = stack::ServiceKind::kDiscard,
                          .proto = stack::ServiceProto::kUdp,
                          .addr = std::nullopt,
                          .port = kDiscardPort});
  stack::Stack st(cfg);
  Instant now = Instant::from_nanos(1'000'000'000);
  st.attach(0, dev, now);
  add_firewall_rules(st.firewall(), fw_rules, ports_only);
  size_t frames = 0;
  for (auto _ : state) frames += st.poll(now);
  const uint64_t delivered = st.counters()[Counter::UdpInDatagrams];
  if (delivered != frames || st.drops().total() != 0) {
    for (size_t r = 0; r < kDropReasonCount; ++r)
      if (st.drops().count[r] != 0)
        std::fprintf(stderr, "drop %s: %llu\n",
                     std::string(drop_reason_name(static_cast<DropReason>(r))).c_str(),
                     static_cast<unsigned long long>(st.drops().count[r]));
    std::fprintf(stderr, "frames %zu delivered %llu\n", frames,
                 static_cast<unsigned long long>(delivered));
    state.SkipWithError("frames were dropped: the bench measures a broken path");
  }
  report(state, frames, static_cast<uint32_t>(frame.size()));
}

// Args: {burst, payload bytes}.
void BM_StackPoll(benchmark::State& state) { stack_poll(state, 0); }

// Args: {burst, payload bytes, firewall rules}: the dataplane's rate with
// 0, 100 and 1,000 rules the traffic passes (the drop in rate is the figure).
void BM_StackPollFirewall(benchmark::State& state) {
  stack_poll(state, static_cast<size_t>(state.range(2)));
}
void BM_StackPollFirewallPorts(benchmark::State& state) {
  stack_poll(state, static_cast<size_t>(state.range(2)), true);
}

// Link + Ipv4Layer + UdpLayer + UdpSocket, wired as daemon/ip/README.md says.
struct Layers {
  stack::NeighbourTimers timers;
  stack::IpConfig ipcfg;
  Counters counters;
  DropStats drops;
  buf::FixedPool local_pool{64, kFrameSize};
  buf::HeapPool heap_pool;
  ip::Fib fib;
  l2::Interface iface;
  l2::Link link{timers, counters, drops, &local_pool};
  ip::Ipv4Layer ip{ipcfg, counters, drops, link, fib, local_pool, heap_pool};
  transport::UdpLayer udp{ip, counters, drops};
  transport::UdpSocket sock{udp};

  explicit Layers(Instant now) {
    iface.index = 1;
    iface.name = "bench0";
    iface.mac = kOurMac;
    iface.addrs = {*IpPrefix::parse("10.0.0.2/24")};
    link.set_l3_handler(&ip);
    ip.add_interface(iface);
    link.interface_up(iface, now);
    iface.tx_queue.clear();  // the gratuitous ARP
    (void)sock.bind(IpAddr(Ipv4Addr::any()), kDiscardPort);
  }
};

void BM_LayerPath(benchmark::State& state) {
  const auto burst = static_cast<size_t>(state.range(0));
  const auto payload = static_cast<uint32_t>(state.range(1));
  const auto frame = udp_frame(payload, kDiscardPort);
  const auto len = static_cast<uint32_t>(frame.size());
  buf::FixedPool pool(kPoolFrames, kFrameSize);
  prefill(pool, frame);
  Instant now = Instant::from_nanos(1'000'000'000);
  auto l = std::make_unique<Layers>(now);
  size_t frames = 0, received = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < burst; ++i) l->link.input(l->iface, next_frame(pool, len), now);
    while (auto d = l->sock.recv()) {
      benchmark::DoNotOptimize(d->payload.data());
      ++received;
    }
    frames += burst;
  }
  if (received != frames || l->drops.total() != 0)
    state.SkipWithError("frames were dropped: the bench measures a broken path");
  report(state, frames, len);
}

BENCHMARK(BM_StackPoll)->ArgNames({"burst", "payload"})->Args({32, 22})->Args({64, 22})
    ->Args({64, 1472});
BENCHMARK(BM_StackPollFirewall)->ArgNames({"burst", "payload", "rules"})->Args({64, 22, 0})
    ->Args({64, 22, 100})->Args({64, 22, 1000});
BENCHMARK(BM_StackPollFirewallPorts)->ArgNames({"burst", "payload", "rules"})->Args({64, 22, 100})
    ->Args({64, 22, 1000});
BENCHMARK(BM_LayerPath)->ArgNames({"burst", "payload"})->Args({32, 22})->Args({64, 22})
    ->Args({64, 1472});

}  // namespace
}  // namespace stackd

BENCHMARK_MAIN();
