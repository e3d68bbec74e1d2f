#include "control/metrics.h"

#include <fmt/format.h>

#include <array>

#include "ip/filter/filter.h"
#include "session/session_table.h"
#include "stack/stack.h"

namespace stackd::control {

MetricsSnapshot take_metrics(stack::Stack& s, const session::SessionTable* sessions) {
  MetricsSnapshot m;
  m.counters = s.counters();
  m.drops = s.drops();
  m.gauges = s.gauges();
  for (const auto& i : s.interfaces())
    if (i) m.links.push_back({i->name, i->up, i->mtu, i->stats});
  if (sessions != nullptr) {
    m.attach = true;
    m.clients = sessions->clients();
    m.client_sockets = sessions->sockets();
    m.orphans = sessions->orphans();
  }
  m.fw_rules = s.firewall().ruleset().input.rules.size() + s.firewall().ruleset().output.rules.size();
  return m;
}

std::string netstat_metric_name(std::string_view nstat) {
  // Longest group first: IpExt before Ip6 before Ip, and so on.
  constexpr std::array<std::string_view, 10> kGroups{"IpExt", "Ip6",  "Ip",  "Icmp6", "Icmp",
                                                     "Udp6",  "Udp",  "TcpExt", "Tcp", "Arp"};
  for (auto g : kGroups)
    if (nstat.starts_with(g) && nstat.size() > g.size())
      return fmt::format("stackd_netstat_{}_{}", g, nstat.substr(g.size()));
  return fmt::format("stackd_netstat_{}", nstat);
}

namespace {

void metric(std::string& o, std::string_view name, std::string_view type, std::string_view help) {
  o += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& s) {
  std::string o;
  o.reserve(16384);
  for (size_t i = 0; i < kCounterCount; ++i) {
    const auto c = static_cast<Counter>(i);
    const std::string name = netstat_metric_name(counter_name(c));
    // TcpCurrEstab is a level, not an event count (RFC 4022 tcpCurrEstab).
    metric(o, name, c == Counter::TcpCurrEstab ? "gauge" : "counter",
           fmt::format("nstat {}", counter_name(c)));
    o += fmt::format("{} {}\n", name, s.counters.v[i]);
  }
  metric(o, "stackd_drops_total", "counter", "packets dropped, by typed reason (daemon/base/drop_reason.h)");
  for (size_t i = 0; i < kDropReasonCount; ++i)
    o += fmt::format("stackd_drops_total{{reason=\"{}\"}} {}\n", drop_reason_name(static_cast<DropReason>(i)),
                     s.drops.count[i]);
  for (size_t i = 0; i < kGaugeCount; ++i) {
    const std::string name = fmt::format("stackd_{}", gauge_name(static_cast<Gauge>(i)));
    metric(o, name, "gauge", std::string(gauge_name(static_cast<Gauge>(i))));
    o += fmt::format("{} {}\n", name, s.gauges.v[i]);
  }
  struct LinkMetric {
    std::string_view name, type, help;
    uint64_t (*get)(const MetricsSnapshot::Link&);
  };
  static constexpr LinkMetric kLink[] = {
      {"stackd_network_up", "gauge", "interface administratively up", [](const auto& l) -> uint64_t { return l.up; }},
      {"stackd_network_mtu_bytes", "gauge", "L3 MTU", [](const auto& l) -> uint64_t { return l.mtu; }},
      {"stackd_network_receive_bytes_total", "counter", "bytes received",
       [](const auto& l) { return l.stats.rx_bytes; }},
      {"stackd_network_receive_packets_total", "counter", "frames received",
       [](const auto& l) { return l.stats.rx_packets; }},
      {"stackd_network_receive_drop_total", "counter", "frames dropped on input",
       [](const auto& l) { return l.stats.rx_dropped; }},
      {"stackd_network_receive_multicast_total", "counter", "multicast frames received",
       [](const auto& l) { return l.stats.rx_multicast; }},
      {"stackd_network_transmit_bytes_total", "counter", "bytes sent",
       [](const auto& l) { return l.stats.tx_bytes; }},
      {"stackd_network_transmit_packets_total", "counter", "frames sent",
       [](const auto& l) { return l.stats.tx_packets; }},
      {"stackd_network_transmit_drop_total", "counter", "frames dropped on output",
       [](const auto& l) { return l.stats.tx_dropped; }},
  };
  for (const auto& m : kLink) {
    metric(o, m.name, m.type, m.help);
    for (const auto& l : s.links) o += fmt::format("{}{{device=\"{}\"}} {}\n", m.name, l.name, m.get(l));
  }
  metric(o, "stackd_firewall_rules", "gauge", "firewall rules installed (input + output)");
  o += fmt::format("stackd_firewall_rules {}\n", s.fw_rules);
  if (s.attach) {
    metric(o, "stackd_attach_clients", "gauge", "attached client processes");
    o += fmt::format("stackd_attach_clients {}\n", s.clients);
    metric(o, "stackd_attach_sockets", "gauge", "sockets open in attached clients");
    o += fmt::format("stackd_attach_sockets {}\n", s.client_sockets);
    metric(o, "stackd_attach_orphans", "gauge", "closed client connections still sending");
    o += fmt::format("stackd_attach_orphans {}\n", s.orphans);
  }
  return o;
}

}  // namespace stackd::control
