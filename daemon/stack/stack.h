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

  // The firewall of the IPv4 hooks (rules come from the control plane).
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

  // Events of TCP connections with a nonzero Tcb::owner (the session layer's
  // sockets, daemon/session) go to `sink`, the rest to the built-in
  // services. Called inside poll(), once per connection with news.
  void set_tcp_event_sink(std::function<void(uint32_t tcb)> sink);

  const Counters& counters() const;
  const DropStats& drops() const;
  std::span<const std::unique_ptr<l2::Interface>> interfaces() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stackd::stack
