// The SIGUSR1 / shutdown counter report: non-zero counters under nstat
// names, every interface's link stats, non-zero drop reasons, end marker.
#include "app/report.h"

#include <gtest/gtest.h>

#include <vector>

namespace stackd::app {
namespace {

TEST(Report, PrintsNonZeroCountersLinksAndDrops) {
  Counters c;
  c.inc(Counter::UdpNoPorts, 3);
  c.inc(Counter::IpInReceives, 12);
  DropStats d;
  d.drop(DropReason::kEthNotForUs);
  d.drop(DropReason::kEthNotForUs);
  std::vector<std::unique_ptr<l2::Interface>> ifs;
  ifs.push_back(std::make_unique<l2::Interface>());
  ifs[0]->index = 1;
  ifs[0]->name = "veth-sd0";
  ifs[0]->up = true;
  ifs[0]->stats.rx_packets = 10;
  ifs[0]->stats.tx_bytes = 640;

  Gauges g;
  g.set(Gauge::TcpTcbsInUse, 3);
  std::string r = format_report(c, g, d, ifs);
  EXPECT_EQ(r,
            "# stackd counters\n"
            "IpInReceives                    12\n"
            "UdpNoPorts                      3\n"
            "# gauges\n"
            "TcpTcbsInUse                    3\n"
            "TcpFlows                        0\n"
            "TcpListeners                    0\n"
            "TcpRingsInUse                   0\n"
            "TcpRingBytesInUse               0\n"
            "TcpTimersArmed                  0\n"
            "# link veth-sd0 (index 1, up)\n"
            "veth-sd0 rx_packets 10 rx_bytes 0 rx_dropped 0 rx_multicast 0 tx_packets 0 "
            "tx_bytes 640 tx_dropped 0\n"
            "# drops\n"
            "eth_not_for_us                  2\n"
            "# end of counters\n");
}

TEST(Report, EmptyStackStillHasMarkersAndEveryGauge) {
  std::string r = format_report({}, {}, {}, {});
  EXPECT_TRUE(r.starts_with("# stackd counters\n# gauges\n"));
  for (size_t i = 0; i < kGaugeCount; ++i)
    EXPECT_NE(r.find(std::string(gauge_name(static_cast<Gauge>(i))) + " "), std::string::npos);
  EXPECT_TRUE(r.ends_with("# drops\n# end of counters\n"));
}

}  // namespace
}  // namespace stackd::app
