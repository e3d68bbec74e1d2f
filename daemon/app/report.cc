#include "app/report.h"

#include <iterator>

#include <fmt/format.h>

namespace stackd::app {

std::string format_report(const Counters& counters, const Gauges& gauges, const DropStats& drops,
                          std::span<const std::unique_ptr<l2::Interface>> interfaces) {
  std::string out = "# stackd counters\n";
  auto it = std::back_inserter(out);
  for (size_t i = 0; i < kCounterCount; ++i) {
    uint64_t v = counters.v[i];
    if (v != 0) fmt::format_to(it, "{:<32}{}\n", counter_name(static_cast<Counter>(i)), v);
  }
  out += "# gauges\n";
  for (size_t i = 0; i < kGaugeCount; ++i)
    fmt::format_to(it, "{:<32}{}\n", gauge_name(static_cast<Gauge>(i)), gauges.v[i]);
  for (const auto& ifp : interfaces) {
    if (!ifp) continue;
    const auto& s = ifp->stats;
    fmt::format_to(it, "# link {} (index {}, {})\n", ifp->name, ifp->index, ifp->up ? "up" : "down");
    fmt::format_to(it,
                   "{} rx_packets {} rx_bytes {} rx_dropped {} rx_multicast {} tx_packets {} "
                   "tx_bytes {} tx_dropped {}\n",
                   ifp->name, s.rx_packets, s.rx_bytes, s.rx_dropped, s.rx_multicast, s.tx_packets,
                   s.tx_bytes, s.tx_dropped);
  }
  out += "# drops\n";
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    uint64_t v = drops.count[i];
    if (v != 0) fmt::format_to(it, "{:<32}{}\n", drop_reason_name(static_cast<DropReason>(i)), v);
  }
  out += "# end of counters\n";
  return out;
}

}  // namespace stackd::app
