// TCP bulk transfer between two in-memory stacks: per side Link + Ipv4Layer
// + TcpLayer (wired as daemon/ip/README.md says) on an l2::Interface whose
// transmit queue is handed straight to the other side's Link::input, so the
// frames cross without a device (no copy, no loss). One connection, MSS
// 1460 (MTU 1500), timestamps/SACK/window scaling on as the daemon's
// defaults, rings 256 KiB.
//
// Each iteration: the sender send()s as much as its ring takes, frames
// cross to the receiver, the receiver's application recv()s everything,
// its ACKs cross back; the clock moves 20 µs (so delayed-ACK and RTT
// arithmetic see time pass) and due timers run. What is measured is the
// CPU time of both stacks together per full-sized data segment delivered:
// the per-segment cost of the TCP send + receive path, Ethernet and IPv4
// included (checksums computed and verified), with the application's two
// copies (send into the ring, recv out of it) as a real socket has them.
//
//   BM_TcpBulk/fast_path:0|1/ipv6:0|1  sender -> receiver, ns/segment and
//                               bytes/s, with the ESTABLISHED fast path off /
//                               on, over IPv4 / IPv6 (MSS 1440: Ethernet,
//                               IPv6 input/output and NDP instead of ARP)
//   BM_TcpReceiver/fast_path:0|1  the same transfer, only the receiver's
//                               part timed (thread CPU time, manual timing):
//                               Ethernet/IPv4/TCP input of the data, its
//                               ACKs, the application's recv()
//   counters: acks/seg (ACK segments the receiver sent per data segment),
//   hphits/seg (data segments the receiver took on the ESTABLISHED fast
//   path, TcpExtTCPHPHits), hpacks/ack (ACKs the sender took on it,
//   TcpExtTCPHPAcks)
//
//   ./build/release/tests/bench_tcp_path --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "buf/pool.h"
#include "ip/fib.h"
#include "ip/ipv4.h"
#include "ip/ipv6.h"
#include "l2/link.h"
#include "stack/config.h"
#include "transport/tcp/tcp_socket.h"

namespace stackd {
namespace {

constexpr uint32_t kFrameSize = 2048;
constexpr uint16_t kPort = 9;

// No duplicate address detection: the IPv6 addresses are usable at once.
stack::NeighbourTimers no_dad() {
  stack::NeighbourTimers t;
  t.dad_transmits = 0;
  return t;
}

struct Side {
  stack::NeighbourTimers timers = no_dad();
  stack::IpConfig ipcfg;
  Counters counters;
  DropStats drops;
  buf::FixedPool local_pool{4096, kFrameSize};
  buf::HeapPool heap_pool;
  ip::Fib fib;
  l2::Interface iface;
  l2::Link link{timers, counters, drops, &local_pool};
  ip::Ipv4Layer ip{ipcfg, counters, drops, link, fib, local_pool, heap_pool};
  ip::Ipv6Layer ip6{ipcfg, counters, drops, link, fib, local_pool, heap_pool};
  std::unique_ptr<tcp::TcpLayer> tcp;

  Side(MacAddr mac, const char* prefix, const char* prefix6, bool fast_path, Instant now) {
    iface.index = 1;
    iface.name = "bench0";
    iface.mac = mac;
    iface.mtu = 1500;
    iface.ipv6 = true;
    iface.addrs = {*IpPrefix::parse(prefix), *IpPrefix::parse(prefix6)};
    link.set_l3_handler(&ip);
    link.set_ipv6_handler(&ip6);
    ip.add_interface(iface);
    ip6.add_interface(iface);
    link.interface_up(iface, now);
    tcp::TcpConfig c;
    c.buffer_pool_bytes = size_t{64} << 20;
    c.fast_path = fast_path;
    tcp = std::make_unique<tcp::TcpLayer>(ip, counters, drops, c);
    tcp->attach_ipv6(ip6);
  }
};

// Everything `from` transmitted goes into `to`; returns the frame count.
size_t cross(Side& from, Side& to, Instant now) {
  from.ip.poll(now);
  from.ip6.poll(now);
  std::vector<buf::PacketBuf> q;
  q.swap(from.iface.tx_queue);
  for (auto& f : q) to.link.input(to.iface, std::move(f), now);
  return q.size();
}

// The machine is shared: CPU time of this thread, not wall time.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void timers(Side& s, Instant now) {
  if (s.tcp->poll_at() <= now) s.tcp->on_timer(now);
}

// `receiver_only`: time only the receiver's part of each iteration (its
// input of the data segments, the ACKs it makes, the application's
// recv()), with manual timing; otherwise both stacks are timed.
void bulk(benchmark::State& state, bool receiver_only) {
  Instant now = Instant::from_nanos(1'000'000'000);
  const bool fast = state.range(0) != 0;
  const bool v6 = state.range(1) != 0;
  Side tx({{2, 0, 0, 0, 0, 1}}, "10.0.0.1/24", "fd00::1/64", fast, now);
  Side rx({{2, 0, 0, 0, 0, 2}}, "10.0.0.2/24", "fd00::2/64", fast, now);
  tx.iface.tx_queue.clear();
  rx.iface.tx_queue.clear();  // the gratuitous ARPs
  tcp::TcpSocket listener(*rx.tcp);
  (void)listener.bind(v6 ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr::any()), kPort);
  (void)listener.listen(8);
  tcp::TcpSocket client(*tx.tcp);
  (void)client.connect(*IpAddr::parse(v6 ? "fd00::2" : "10.0.0.2"), kPort, now);
  std::optional<tcp::TcpSocket> server;
  for (int i = 0; i < 20 && !server; ++i) {
    cross(tx, rx, now);
    cross(rx, tx, now);
    server = listener.accept();
  }
  if (!server || client.state() != tcp::TcpState::kEstablished) {
    state.SkipWithError("no connection");
    return;
  }
  std::vector<uint8_t> out(256 * 1024), in(256 * 1024);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 1);
  uint64_t received = 0;
  const uint64_t segs0 = tx.counters[Counter::TcpOutSegs];
  const uint64_t acks0 = rx.counters[Counter::TcpOutSegs];
  const uint64_t hits0 = rx.counters[Counter::TcpExtTCPHPHits];
  const uint64_t hpacks0 = tx.counters[Counter::TcpExtTCPHPAcks];
  for (auto _ : state) {
    (void)client.send(out, now);
    tx.ip.poll(now);
    const double t0 = thread_cpu_seconds();
    cross(tx, rx, now);
    for (int64_t n; (n = server->recv(in, now)) > 0;) received += static_cast<uint64_t>(n);
    if (receiver_only)
      state.SetIterationTime(thread_cpu_seconds() - t0);
    cross(rx, tx, now);
    now = now + Duration::micros(20);
    timers(tx, now);
    timers(rx, now);
  }
  const double segs = static_cast<double>(received) / (v6 ? 1428.0 : 1448.0);  // MSS - timestamps
  state.SetBytesProcessed(static_cast<int64_t>(received));
  state.counters["ns/segment"] =
      benchmark::Counter(segs, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["acks/seg"] =
      static_cast<double>(rx.counters[Counter::TcpOutSegs] - acks0) / segs;
  state.counters["hphits/seg"] =
      static_cast<double>(rx.counters[Counter::TcpExtTCPHPHits] - hits0) / segs;
  state.counters["hpacks/ack"] = static_cast<double>(tx.counters[Counter::TcpExtTCPHPAcks] - hpacks0) /
                                 static_cast<double>(rx.counters[Counter::TcpOutSegs] - acks0);
  state.counters["rexmit"] = static_cast<double>(tx.counters[Counter::TcpRetransSegs]);
  if (tx.counters[Counter::TcpOutSegs] - segs0 == 0 || received == 0 ||
      tx.counters[Counter::TcpRetransSegs] != 0 || rx.drops.total() != 0 || tx.drops.total() != 0)
    state.SkipWithError("no progress, retransmissions or drops: the bench measures a broken path");
}

void BM_TcpBulk(benchmark::State& state) { bulk(state, false); }
void BM_TcpReceiver(benchmark::State& state) { bulk(state, true); }

BENCHMARK(BM_TcpBulk)->ArgNames({"fast_path", "ipv6"})->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK(BM_TcpReceiver)->ArgNames({"fast_path", "ipv6"})->ArgsProduct({{0, 1}, {0, 1}})->UseManualTime();

}  // namespace
}  // namespace stackd

BENCHMARK_MAIN();
