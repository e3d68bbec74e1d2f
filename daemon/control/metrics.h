// Prometheus text exposition (format 0.0.4) of a stackd: the nstat counters
// under node_exporter's netstat names with a `stackd_` prefix
// (TcpRetransSegs -> stackd_netstat_Tcp_RetransSegs), typed drop reasons
// as one labelled counter, the gauges, per-interface counters labelled by
// device as node_exporter names them (stackd_network_receive_bytes_total
// {device="veth0"}), attached clients. No per-connection labels.
//
//   MetricsSnapshot s = take_metrics(stack, sessions);   // on the worker
//   std::string body = render_metrics(s);                 // anywhere
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/counters.h"
#include "base/drop_reason.h"

namespace stackd::stack {
class Stack;
}
namespace stackd::session {
class SessionTable;
}

namespace stackd::control {

struct MetricsSnapshot {
  Counters counters;
  DropStats drops;
  Gauges gauges;
  struct Link {
    std::string name;
    bool up = false;
    uint32_t mtu = 0;
    LinkStats stats;
  };
  std::vector<Link> links;
  bool attach = false;  // [attach] configured: the client gauges mean something
  uint64_t clients = 0, client_sockets = 0, orphans = 0;
  uint64_t fw_rules = 0;
};

// Worker thread.
MetricsSnapshot take_metrics(stack::Stack& s, const session::SessionTable* sessions);

// "TcpRetransSegs" -> "stackd_netstat_Tcp_RetransSegs", "Ip6InReceives" ->
// "stackd_netstat_Ip6_InReceives" (the /proc/net/snmp group, then the field).
std::string netstat_metric_name(std::string_view nstat);

std::string render_metrics(const MetricsSnapshot& s);

}  // namespace stackd::control
