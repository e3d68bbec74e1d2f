// The counter report stackd prints on SIGUSR1 and at shutdown:
//
//   # stackd counters
//   IpInReceives                    12        (non-zero nstat counters, nstat names)
//   # gauges
//   TcpTcbsInUse                    3         (every gauge, 0 too: base/counters.h)
//   # link veth-sd0
//   veth-sd0 rx_packets 10 rx_bytes 840 ...   (every interface, `ip -s link` fields)
//   # drops
//   eth_not_for_us                  3         (non-zero drop reasons)
//   # end of counters
//
// One "Name value" per line so scripts can `awk '$1 == "UdpNoPorts"'`.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "l2/interface.h"

namespace stackd::app {

std::string format_report(const Counters& counters, const Gauges& gauges, const DropStats& drops,
                          std::span<const std::unique_ptr<l2::Interface>> interfaces);

}  // namespace stackd::app
