#include "stack/stack.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <vector>

#include "buf/pool.h"
#include "ip/fib.h"
#include "ip/filter/filter.h"
#include "ip/ipv4.h"
#include "ip/ipv6.h"
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
        ip6(c.ip, counters, drops, link, fib, local_pool, heap_pool),
        udp(ip, counters, drops),
        services(udp),
        tcp(ip, counters, drops, tcp_config(c.tcp)),
        tcp_services(tcp) {
    link.set_l3_handler(&ip);
    link.set_ipv6_handler(&ip6);
    udp.attach_ipv6(ip6);
    tcp.attach_ipv6(ip6);
    ip.set_filter(&firewall);
    ip6.set_filter(&firewall);  // the same rules at the IPv6 hooks (`ip6`, `meta nfproto ipv6`)
    link.set_router_hook([this](l2::Interface& iface, const l2::Ndp::RouterInfo& ra, Instant now) {
      router_advert(iface, ra, now);
    });
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

  // The interface a configured route goes out of: its dev, or the one
  // whose connected route holds the gateway.
  std::optional<uint16_t> route_ifindex(const RouteConfig& r) const {
    if (!r.dev.empty()) return index_of(r.dev);
    if (!r.via) return std::nullopt;
    const ip::Route* gw = fib.lookup(*r.via);
    if (gw == nullptr) return std::nullopt;
    return gw->ifindex;
  }

  bool install_route(const RouteConfig& r) {
    auto ifindex = route_ifindex(r);
    if (!ifindex) return false;
    fib.replace(ip::Route{r.dst.network(), r.via, *ifindex, r.metric, r.mtu, false});
    return true;
  }

  l2::Interface* iface_named(const std::string& name) const {
    for (const auto& i : ifaces)
      if (i->name == name) return i.get();
    return nullptr;
  }

  // Routes, neighbours and services of the config that can take effect now.
  void apply_config(l2::Interface& iface, Instant now) {
    for (const auto& r : cfg.routes) {
      auto ifindex = route_ifindex(r);
      if (ifindex && *ifindex == iface.index) install_route(r);
    }
    for (const auto& n : cfg.neighbours)
      if (n.dev == iface.name) link.add_static(iface, n.addr, n.mac, now);
    if (!services_started && ifaces.size() == cfg.interfaces.size()) {
      services.start(cfg.services);
      tcp_services.start(cfg.services);
      services_started = true;
    }
  }

  // RFC 4861 §6.3.4: a router advertisement's default route and on-link
  // prefixes, each until its lifetime runs out (0 withdraws at once).
  static constexpr uint32_t kRaDefaultMetric = 1024, kRaPrefixMetric = 256;  // as Linux
  void router_advert(l2::Interface& iface, const l2::Ndp::RouterInfo& ra, Instant now) {
    const IpPrefix any6{Ipv6Addr::any(), 0};
    ra_route(ip::Route{any6, IpAddr(ra.router), iface.index, kRaDefaultMetric, 0, false},
             ra.router_lifetime, now);
    for (const auto& p : ra.on_link)
      ra_route(ip::Route{p.prefix, std::nullopt, iface.index, kRaPrefixMetric, 0, false},
               p.valid_lifetime, now);
  }
  void ra_route(const ip::Route& r, uint32_t lifetime, Instant now) {
    std::erase_if(ra_routes, [&](const RaRoute& x) { return x.dst == r.dst && x.metric == r.metric; });
    if (lifetime == 0) {
      fib.remove(r.dst, r.metric);
      return;
    }
    fib.replace(r);
    // 0xffffffff is infinity (§4.6.2): far enough.
    ra_routes.push_back({r.dst, r.metric, now + Duration::seconds(lifetime)});
  }
  void expire_ra_routes(Instant now) {
    std::erase_if(ra_routes, [&](const RaRoute& x) {
      if (x.expires > now) return false;
      fib.remove(x.dst, x.metric);
      return true;
    });
  }
  Instant ra_poll_at() const {
    Instant t = Instant::never();
    for (const auto& x : ra_routes) t = earliest(t, x.expires);
    return t;
  }

  void flush(l2::Interface& iface, Instant now) {
    auto& q = iface.tx_queue;
    if (q.empty() || iface.device == nullptr) return;
    if (!iface.up) {  // `ip link set down`: nothing leaves
      for (size_t i = 0; i < q.size(); ++i) drops.drop(DropReason::kLinkDown);
      iface.stats.tx_dropped += q.size();
      q.clear();
      tx_tapped[iface.index] = 0;
      return;
    }
    if (tap != nullptr) {
      // Frames kept back by a full ring were shown when first flushed.
      size_t& shown = tx_tapped[iface.index];
      for (size_t i = shown; i < q.size(); ++i) tap->frame(iface.index, true, q[i].bytes(), now);
    }
    size_t sent = iface.device->tx_burst(q, now);
    iface.device->flush(now);
    if (sent > 0) q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(sent));
    while (q.size() > kTxBacklogMax) {
      q.erase(q.begin());
      drops.drop(DropReason::kTxRingFull);
      ++iface.stats.tx_dropped;
    }
    tx_tapped[iface.index] = tap != nullptr ? q.size() : 0;
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
  ip::Ipv6Layer ip6;
  transport::UdpLayer udp;
  transport::UdpServices services;
  tcp::TcpLayer tcp;
  tcp::TcpServices tcp_services;
  bool services_started = false;
  struct RaRoute {
    IpPrefix dst;
    uint32_t metric;
    Instant expires;
  };
  std::vector<RaRoute> ra_routes;  // routes learnt from router advertisements
  stack::FrameTap* tap = nullptr;     // packet capture; null when none runs
  std::vector<size_t> tx_tapped;      // by ifindex: backlog frames already shown to tap
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
  // RFC 8200 §5: IPv6 needs a link MTU of at least 1280.
  iface->ipv6 = c.ipv6 && iface->mtu >= 1280;
  iface->accept_ra = c.accept_ra;
  iface->mld = c.mld;
  l2::Interface& ref = *iface;
  s.ifaces.push_back(std::move(iface));
  s.tx_tapped.resize(ref.index + 1u, 0);
  s.ip.add_interface(ref);
  s.ip6.add_interface(ref);
  s.link.interface_up(ref, now);  // gratuitous ARP for each address, IPv6 DAD
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
      if (s.tap != nullptr) s.tap->frame(iface->index, false, frame.bytes(), now);
      if (!iface->up) {  // `ip link set down`: nothing is taken in
        s.drops.drop(DropReason::kLinkDown);
        ++iface->stats.rx_dropped;
        continue;
      }
      s.link.input(*iface, std::move(frame), now);
    }
  }
  // Local deliveries and reassembly timeouts, then the services' replies.
  s.ip.poll(now);
  s.ip6.poll(now);
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
  if (s.ra_poll_at() <= now) s.expire_ra_routes(now);
  for (auto& iface : s.ifaces) s.flush(*iface, now);
  // Frames the flush got back go first to connections that found none
  // (TcpLayer::frame_starved), then out at once.
  if (s.tcp.frame_starved()) {
    s.tcp.retry_frame_starved(now);
    for (auto& iface : s.ifaces) s.flush(*iface, now);
  }
  return s.frames;
}

Instant Stack::poll_at() const {
  const Impl& s = *impl_;
  Instant t = earliest(earliest(s.link.poll_at(), s.ip.poll_at()), s.tcp.poll_at());
  t = earliest(t, earliest(s.ip6.poll_at(), s.ra_poll_at()));
  t = earliest(t, s.firewall.poll_at());
  if (s.services.pending() || s.tcp_services.pending()) t = Instant::from_nanos(0);
  for (const auto& iface : s.ifaces)
    if (!iface->tx_queue.empty()) t = Instant::from_nanos(0);
  return t;
}

void Stack::set_ipv6_addr_hook(Ipv6AddrHook hook) { impl_->link.set_ipv6_addr_hook(std::move(hook)); }

void Stack::set_tap(FrameTap* tap) { impl_->tap = tap; }
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

namespace {
template <class T>
void erase_equal(std::vector<T>& v, const T& x) {
  std::erase_if(v, [&](const T& e) { return e == x; });
}
// Once, at the end (an entry given again moves there).
template <class T>
void put_last(std::vector<T>& v, const T& x) {
  erase_equal(v, x);
  v.push_back(x);
}
}  // namespace

bool Stack::add_route(const RouteConfig& r) {
  Impl& s = *impl_;
  if (!s.install_route(r)) return false;
  put_last(s.cfg.routes, r);
  return true;
}

bool Stack::remove_route(const RouteConfig& r) {
  Impl& s = *impl_;
  erase_equal(s.cfg.routes, r);
  return s.fib.remove(r.dst.network(), r.metric) == ip::FibStatus::kOk;
}

bool Stack::add_neighbour(const NeighbourConfig& n, Instant now) {
  Impl& s = *impl_;
  l2::Interface* iface = s.iface_named(n.dev);
  if (iface == nullptr || s.link.add_static(*iface, n.addr, n.mac, now)) return false;
  put_last(s.cfg.neighbours, n);
  return true;
}

bool Stack::remove_neighbour(const NeighbourConfig& n) {
  Impl& s = *impl_;
  erase_equal(s.cfg.neighbours, n);
  l2::Interface* iface = s.iface_named(n.dev);
  return iface != nullptr && s.link.neighbours().remove(iface->index, n.addr);
}

int Stack::start_service(const ServiceConfig& svc) {
  Impl& s = *impl_;
  std::span<const ServiceConfig> one(&svc, 1);
  int r = svc.proto == ServiceProto::kUdp ? s.services.start(one) : s.tcp_services.start(one);
  if (r == 0) s.cfg.services.push_back(svc);
  return r;
}

bool Stack::set_ipv4_addresses(const std::string& ifname, const std::vector<IpPrefix>& v4, Instant now) {
  Impl& s = *impl_;
  l2::Interface* iface = s.iface_named(ifname);
  if (iface == nullptr) return false;
  std::vector<IpPrefix> next;
  for (const auto& p : iface->addrs)
    if (!p.addr.is_v4()) next.push_back(p);
  for (const auto& p : v4)
    if (p.addr.is_v4()) next.push_back(p);
  auto has_subnet = [](const std::vector<IpPrefix>& list, const IpPrefix& p) {
    return std::any_of(list.begin(), list.end(), [&](const IpPrefix& q) { return q.network() == p.network(); });
  };
  for (const auto& p : iface->addrs) {
    if (!p.addr.is_v4() || has_subnet(next, p)) continue;
    const ip::Route* r = s.fib.find(p.network());
    if (r != nullptr && r->connected && r->ifindex == iface->index) s.fib.remove(p.network(), r->metric);
  }
  iface->addrs = std::move(next);
  for (const auto& p : iface->addrs)
    if (p.addr.is_v4()) s.fib.add_connected(p, iface->index);
  s.link.interface_up(*iface, now);  // announce (again): RFC 5227 §3
  for (auto& ic : s.cfg.interfaces)
    if (ic.name == ifname) ic.addrs = iface->addrs;
  return true;
}

bool Stack::stop_service(const ServiceConfig& svc, Instant now) {
  Impl& s = *impl_;
  erase_equal(s.cfg.services, svc);
  return svc.proto == ServiceProto::kUdp ? s.services.stop(svc) : s.tcp_services.stop(svc, now);
}

const Counters& Stack::counters() const { return impl_->counters; }
const DropStats& Stack::drops() const { return impl_->drops; }
Gauges Stack::gauges() const {
  Gauges g;
  impl_->tcp.fill_gauges(g);
  return g;
}
std::span<const std::unique_ptr<l2::Interface>> Stack::interfaces() const {
  return impl_->ifaces;
}

}  // namespace stackd::stack
