// The whole stack core for one dataplane worker: interfaces over devices,
// L2 (Ethernet, ARP), IP (IPv4, ICMP, FIB, fragments), transport (UDP) and
// the diagnostic services. No I/O of its own: the runtime calls poll(now)
// and sleeps until poll_at() or until a device's wait_fd is readable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "l2/interface.h"
#include "nic/device.h"
#include "stack/config.h"
#include "stack/frame_tap.h"

namespace stackd::ip {
class Fib;
class Ipv4Layer;
namespace filter {
class Filter;
}
}  // namespace stackd::ip
namespace stackd::l2 {
class Link;
}
namespace stackd::transport {
class UdpLayer;
}
namespace stackd::tcp {
class TcpLayer;
}

namespace stackd::stack {

class Stack {
 public:
  explicit Stack(const StackConfig& cfg);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Bring up the interface configured as cfg.interfaces[i] on `dev` (the
  // stack does not own the device). Sends gratuitous ARP. Returns the
  // interface index (1-based). Routes/neighbours/services of the config
  // that name this interface take effect once it exists.
  uint16_t attach(size_t config_index, nic::Device& dev, Instant now);

  // One run-to-completion pass: receive a burst from every device, run the
  // protocols, fire due timers, transmit what was produced. Returns the
  // number of frames received + sent (0 = idle).
  size_t poll(Instant now);

  // The earliest instant at which poll() has timer work (Instant::never()).
  Instant poll_at() const;

  // IPv6 addresses leaving TENTATIVE: kPreferred once duplicate address
  // detection passed, kDuplicate when another node has the address (it is
  // never used; RFC 4862 §5.4.5). The stack core does not log: the daemon
  // does, from here. Set before attach() to hear every interface.
  using Ipv6AddrHook = std::function<void(const l2::Interface& iface, const Ipv6Addr& addr,
                                          l2::Ipv6AddrState state, Instant now)>;
  void set_ipv6_addr_hook(Ipv6AddrHook hook);

  // Packet capture: every frame received or transmitted is shown to `tap`
  // (null: none, the default). The tap must outlive its installation.
  void set_tap(FrameTap* tap);

  // The firewall of the IPv4 and IPv6 hooks (rules come from the control plane).
  ip::filter::Filter& firewall();

  // The layers, for the daemon's session/IPC side (sockets for clients) and
  // the control plane (routes, neighbours, connections). Called only on the
  // worker's thread, between polls.
  tcp::TcpLayer& tcp();
  transport::UdpLayer& udp();
  ip::Ipv4Layer& ipv4();
  ip::Fib& fib();
  l2::Link& link();
  const StackConfig& config() const;

  // Configured routes, static neighbours and services changed at run time
  // (config reload, app/reload.h). Each keeps config()'s lists in step, so
  // config() is what runs now. Called on the worker's thread, between polls.
  //   add_route: resolves the interface (dev, or the gateway's connected
  //     route) and replaces the FIB entry with the same prefix and metric;
  //     false when no interface resolves (nothing changes).
  //   remove_route: the FIB entry with r.dst and r.metric; false when absent.
  bool add_route(const RouteConfig& r);
  bool remove_route(const RouteConfig& r);
  //   static neighbours: false when r.dev names no interface (or no slot).
  bool add_neighbour(const NeighbourConfig& n, Instant now);
  bool remove_neighbour(const NeighbourConfig& n);
  //   services: start returns 0 or -errno (port in use); stop closes the
  //   listener/socket started for exactly `s` (TCP connections it accepted
  //   are served to their end), false when none runs.
  int start_service(const ServiceConfig& s);
  bool stop_service(const ServiceConfig& s, Instant now);
  //   set_ipv4_addresses: replace the interface's IPv4 addresses (its IPv6
  //     ones stay): connected routes follow, new addresses are announced
  //     (gratuitous ARP). Connections on a removed address are left to
  //     time out, as Linux does. False when no interface has that name.
  bool set_ipv4_addresses(const std::string& ifname, const std::vector<IpPrefix>& v4, Instant now);

  // Events of TCP connections with a nonzero Tcb::owner (the session layer's
  // sockets, daemon/session) go to `sink`, the rest to the built-in
  // services. Called inside poll(), once per connection with news.
  void set_tcp_event_sink(std::function<void(uint32_t tcb)> sink);

  const Counters& counters() const;
  const DropStats& drops() const;
  Gauges gauges() const;  // current values (base/counters.h STACKD_GAUGES)
  std::span<const std::unique_ptr<l2::Interface>> interfaces() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stackd::stack
