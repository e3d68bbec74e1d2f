#include "stack/stack.h"

#include <array>
#include <optional>

#include "buf/pool.h"
#include "ip/fib.h"
#include "ip/filter/filter.h"
#include "ip/ipv4.h"
#include "l2/link.h"
#include "transport/tcp/tcp_layer.h"
#include "transport/tcp/tcp_services.h"
#include "transport/udp.h"
#include "transport/udp_services.h"

namespace stackd::stack {

namespace {
// Frames taken from one device per poll: big enough to amortise the
// per-burst costs, small enough to keep the other devices and timers fair.
constexpr size_t kRxBurst = 64;
// Frames an interface keeps for the next poll when its device's ring is
// full; beyond this they are dropped (kTxRingFull), as a full qdisc would.
constexpr size_t kTxBacklogMax = 4096;
// Frames for packets originated without a device (ICMP built before the
// route is known, interfaces without a device in tests).
constexpr uint32_t kLocalFrames = 1024;
constexpr uint32_t kLocalFrameSize = 2048;

// [tcp] of the config into the TCP layer's settings.
tcp::TcpConfig tcp_config(const TcpStackConfig& c) {
  tcp::TcpConfig t;
  t.congestion = c.congestion;
  if (c.secrets) {
    t.isn_key0 = c.secrets->isn[0];
    t.isn_key1 = c.secrets->isn[1];
    t.cookie_key0 = c.secrets->cookie[0];
    t.cookie_key1 = c.secrets->cookie[1];
  }
  return t;
}
}  // namespace

struct Stack::Impl {
  explicit Impl(const StackConfig& c)
      : cfg(c),
        local_pool(kLocalFrames, kLocalFrameSize),
        heap_pool(static_cast<size_t>(c.ip.reasm_max_bytes) + (8u << 20)),
        link(c.neigh, counters, drops, &local_pool),
        ip(c.ip, counters, drops, link, fib, local_pool, heap_pool),
        udp(ip, counters, drops),
        services(udp),
        tcp(ip, counters, drops, tcp_config(c.tcp)),
        tcp_services(tcp) {
    link.set_l3_handler(&ip);
    ip.set_filter(&firewall);
    link.set_unresolved_hook([this](l2::Interface& iface, const IpAddr&,
                                    std::span<buf::PacketBuf> pkts, Instant now) {
      ip.link_failure(iface, pkts, now);
    });
  }

  ~Impl() {
    // Frames still queued belong to the devices' pools: return them while
    // the devices exist (the stack never owns a device).
    for (auto& i : ifaces) i->tx_queue.clear();
  }

  std::optional<uint16_t> index_of(const std::string& name) const {
    for (const auto& i : ifaces)
      if (i->name == name) return i->index;
    return std::nullopt;
  }

  // Routes, neighbours and services of the config that can take effect now.
  void apply_config(l2::Interface& iface, Instant now) {
    for (const auto& r : cfg.routes) {
      if (!r.dst.addr.is_v4()) continue;  // IPv6 comes with its issue
      uint16_t ifindex = 0;
      if (!r.dev.empty()) {
        if (r.dev != iface.name) continue;
        ifindex = iface.index;
      } else if (r.via) {
        // No device named: the gateway's connected route decides.
        auto gw = fib.lookup(*r.via);
        if (gw == nullptr || gw->ifindex != iface.index) continue;
        ifindex = iface.index;
      } else {
        continue;
      }
      fib.replace(ip::Route{r.dst.network(), r.via, ifindex, r.metric, r.mtu, false});
    }
    for (const auto& n : cfg.neighbours)
      if (n.dev == iface.name) link.add_static(iface, n.addr, n.mac, now);
    if (!services_started && ifaces.size() == cfg.interfaces.size()) {
      services.start(cfg.services);
      tcp_services.start(cfg.services);
      services_started = true;
    }
  }

  void flush(l2::Interface& iface, Instant now) {
    auto& q = iface.tx_queue;
    if (q.empty() || iface.device == nullptr) return;
    size_t sent = iface.device->tx_burst(q, now);
    iface.device->flush(now);
    if (sent > 0) q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(sent));
    while (q.size() > kTxBacklogMax) {
      q.erase(q.begin());
      drops.drop(DropReason::kTxRingFull);
      ++iface.stats.tx_dropped;
    }
    frames += sent;
  }

  StackConfig cfg;
  Counters counters;
  DropStats drops;
  buf::FixedPool local_pool;
  buf::HeapPool heap_pool;
  ip::Fib fib;
  // The firewall (ip/filter): no rules and accept policies until the
  // control plane installs some, so the IPv4 hooks cost one pointer check.
  ip::filter::Filter firewall;
  std::vector<std::unique_ptr<l2::Interface>> ifaces;
  l2::Link link;
  ip::Ipv4Layer ip;
  transport::UdpLayer udp;
  transport::UdpServices services;
  tcp::TcpLayer tcp;
  tcp::TcpServices tcp_services;
  bool services_started = false;
  std::function<void(uint32_t)> tcp_event_sink;
  size_t frames = 0;  // work done in the current poll
  std::array<buf::PacketBuf, kRxBurst> rx;
};

Stack::Stack(const StackConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}

Stack::~Stack() = default;

uint16_t Stack::attach(size_t config_index, nic::Device& dev, Instant now) {
  Impl& s = *impl_;
  const InterfaceConfig& c = s.cfg.interfaces.at(config_index);
  auto iface = std::make_unique<l2::Interface>();
  iface->index = static_cast<uint16_t>(s.ifaces.size() + 1);
  iface->name = c.name;
  iface->mac = c.mac ? *c.mac : dev.info().mac;
  iface->mtu = std::min(c.mtu, dev.info().mtu);
  iface->device = &dev;
  iface->addrs = c.addrs;
  l2::Interface& ref = *iface;
  s.ifaces.push_back(std::move(iface));
  s.ip.add_interface(ref);
  s.link.interface_up(ref, now);  // gratuitous ARP for each address
  s.apply_config(ref, now);
  s.flush(ref, now);
  return ref.index;
}

size_t Stack::poll(Instant now) {
  Impl& s = *impl_;
  s.frames = 0;
  for (auto& iface : s.ifaces) {
    if (iface->device == nullptr) continue;
    size_t n = iface->device->rx_burst(s.rx, now);
    s.frames += n;
    for (size_t i = 0; i < n; ++i) {
      // Take the frame out of the burst array: input() takes an rvalue
      // reference and a layer that consumes it in place (ARP) does not move
      // from it, so the frame must die here, not wait for the next poll.
      buf::PacketBuf frame = std::move(s.rx[i]);
      frame.ifindex = iface->index;
      s.link.input(*iface, std::move(frame), now);
    }
  }
  // Local deliveries and reassembly timeouts, then the services' replies.
  s.ip.poll(now);
  s.services.poll(now);
  if (s.tcp.poll_at() <= now) s.tcp.on_timer(now);
  if (s.firewall.poll_at() <= now) s.firewall.on_timer(now);
  if (s.tcp_event_sink) {
    // The session's connections to its sink; the others back on the list
    // for the services (notify() queues each connection once).
    s.tcp.drain_events([&](uint32_t i) {
      tcp::Tcb& t = s.tcp.tcb(i);
      if (t.owner != 0) s.tcp_event_sink(i);
      else s.tcp.notify(t);
    });
  }
  s.tcp_services.poll(now);
  if (s.link.poll_at() <= now) s.link.on_timer(now);
  for (auto& iface : s.ifaces) s.flush(*iface, now);
  return s.frames;
}

Instant Stack::poll_at() const {
  const Impl& s = *impl_;
  Instant t = earliest(earliest(s.link.poll_at(), s.ip.poll_at()), s.tcp.poll_at());
  t = earliest(t, s.firewall.poll_at());
  if (s.services.pending() || s.tcp_services.pending()) t = Instant::from_nanos(0);
  for (const auto& iface : s.ifaces)
    if (!iface->tx_queue.empty()) t = Instant::from_nanos(0);
  return t;
}

ip::filter::Filter& Stack::firewall() { return impl_->firewall; }
tcp::TcpLayer& Stack::tcp() { return impl_->tcp; }
transport::UdpLayer& Stack::udp() { return impl_->udp; }
ip::Ipv4Layer& Stack::ipv4() { return impl_->ip; }
ip::Fib& Stack::fib() { return impl_->fib; }
l2::Link& Stack::link() { return impl_->link; }
const StackConfig& Stack::config() const { return impl_->cfg; }
void Stack::set_tcp_event_sink(std::function<void(uint32_t)> sink) {
  impl_->tcp_event_sink = std::move(sink);
}

const Counters& Stack::counters() const { return impl_->counters; }
const DropStats& Stack::drops() const { return impl_->drops; }
std::span<const std::unique_ptr<l2::Interface>> Stack::interfaces() const {
  return impl_->ifaces;
}

}  // namespace stackd::stack
