// Every client's sockets on one dataplane worker. Routes the TCP layer's
// events (connections whose Tcb::owner is kOwnerTag) to the socket that
// holds them. A connection a client closed belongs to TCP alone (it took
// every queued byte at close, TcpLayer::close), and lives on there as
// Linux keeps a closed socket's send queue going ("orphans", counted).
//
//   SessionTable table(stack.tcp(), stack.udp());
//   stack.set_tcp_event_sink([&](uint32_t tcb) { table.tcp_event(tcb); });
//   ClientSockets& c = table.attach(seg, wakeups);   // ... table.detach(c, now)
//   every worker pass: table.poll(now)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/time.h"
#include "session/client_sockets.h"

namespace stackd::session {

class SessionTable {
 public:
  static constexpr uint32_t kOwnerTag = 0x5e55;  // Tcb::owner of the session's connections

  SessionTable(tcp::TcpLayer& tcp, transport::UdpLayer& udp);
  ~SessionTable();

  ClientSockets& attach(SegmentView seg, Wakeups& wakeups);
  // Reclaim everything the client held and forget it.
  void detach(ClientSockets& c, Instant now);

  // From the stack's event sink (inside Stack::poll): remembered, served in poll().
  void tcp_event(uint32_t tcb) { pending_.push_back(tcb); }
  size_t poll(Instant now);
  Instant poll_at() const;

  // Routing of TCP events to (client, slot).
  void bind_tcb(uint32_t tcb, ClientSockets* c, uint32_t slot);
  void unbind_tcb(uint32_t tcb);

  // Who holds a connection (the control plane's `ss -p`): the client bound
  // to TCB `tcb`, null for a built-in service's connection or an orphan.
  const ClientSockets* owner_of_tcb(uint32_t tcb) const {
    return tcb < routes_.size() && tcp_.tcb(tcb).owner == kOwnerTag ? routes_[tcb].client : nullptr;
  }
  template <class F>
  void for_each_client(F f) const {
    for (const auto& c : clients_) f(static_cast<const ClientSockets&>(*c));
  }

  tcp::TcpLayer& tcp() { return tcp_; }
  transport::UdpLayer& udp() { return udp_; }
  // Raw sockets exist for clients only: the table owns their layer (it
  // taps IPv4 input while the table lives).
  transport::RawLayer& raw() { return raw_; }

  // Gauges for the counter report.
  size_t clients() const { return clients_.size(); }
  size_t sockets() const;
  size_t orphans() const;  // connections clients closed, still sending
  size_t segment_bytes() const;

 private:
  struct Route {
    ClientSockets* client = nullptr;
    uint32_t slot = 0;
  };

  tcp::TcpLayer& tcp_;
  transport::UdpLayer& udp_;
  transport::RawLayer raw_;
  std::vector<std::unique_ptr<ClientSockets>> clients_;
  std::vector<Route> routes_;  // by TCB index
  std::vector<uint32_t> pending_;
  uint32_t next_id_ = 1;
};

}  // namespace stackd::session
