// SNMP/nstat counters under the names `nstat` prints (DESIGN.md: control
// plane). One Counters block per stack; layers bump them by enum.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stackd {

#define STACKD_COUNTERS(X)                                                               \
  X(IpInReceives) X(IpInHdrErrors) X(IpInAddrErrors) X(IpForwDatagrams)                  \
  X(IpInUnknownProtos) X(IpInDiscards) X(IpInDelivers) X(IpOutRequests) X(IpOutDiscards) \
  X(IpOutNoRoutes) X(IpReasmTimeout) X(IpReasmReqds) X(IpReasmOKs) X(IpReasmFails)       \
  X(IpFragOKs) X(IpFragFails) X(IpFragCreates)                                           \
  X(IpExtInNoRoutes) X(IpExtInTruncatedPkts) X(IpExtInMcastPkts) X(IpExtOutMcastPkts)    \
  X(IpExtInBcastPkts) X(IpExtOutBcastPkts) X(IpExtInOctets) X(IpExtOutOctets)            \
  X(IpExtInCsumErrors)                                                                   \
  X(IcmpInMsgs) X(IcmpInErrors) X(IcmpInCsumErrors) X(IcmpInDestUnreachs)                \
  X(IcmpInTimeExcds) X(IcmpInParmProbs) X(IcmpInEchos) X(IcmpInEchoReps)                 \
  X(IcmpOutMsgs) X(IcmpOutErrors) X(IcmpOutRateLimitGlobal) X(IcmpOutRateLimitHost)      \
  X(IcmpOutDestUnreachs) X(IcmpOutTimeExcds) X(IcmpOutParmProbs) X(IcmpOutEchos)         \
  X(IcmpOutEchoReps)                                                                     \
  X(UdpInDatagrams) X(UdpNoPorts) X(UdpInErrors) X(UdpOutDatagrams) X(UdpRcvbufErrors)   \
  X(UdpSndbufErrors) X(UdpInCsumErrors)                                                  \
  X(TcpActiveOpens) X(TcpPassiveOpens) X(TcpAttemptFails) X(TcpEstabResets)              \
  X(TcpCurrEstab) X(TcpInSegs) X(TcpOutSegs) X(TcpRetransSegs) X(TcpInErrs)              \
  X(TcpOutRsts) X(TcpInCsumErrors)                                                       \
  X(TcpExtSyncookiesSent) X(TcpExtSyncookiesRecv) X(TcpExtSyncookiesFailed)              \
  X(TcpExtListenOverflows) X(TcpExtListenDrops)                                          \
  X(TcpExtTCPSACKRecovery) X(TcpExtTCPRenoRecovery) X(TcpExtTCPFastRetrans)              \
  X(TcpExtTCPTimeouts) X(TcpExtTCPDSACKRecv) X(TcpExtTCPDSACKOldSent)                    \
  X(TcpExtTCPDSACKOfoSent) X(TcpExtTCPOFOQueue) X(TcpExtTCPLostRetransmit)               \
  X(TcpExtTCPHPHits) X(TcpExtTCPHPAcks) X(TcpExtTCPPureAcks) X(TcpExtDelayedACKs)        \
  X(TcpExtTCPAbortOnData) X(TcpExtTCPSACKReorder) X(TcpExtTCPDSACKUndo)                  \
  X(TcpExtTCPFullUndo)                                                                   \
  X(ArpInRequests) X(ArpInReplies) X(ArpOutRequests) X(ArpOutReplies)                    \
  X(ArpOutGratuitous)                                                                     \
  /* IPv6: the names of Linux /proc/net/snmp6 */                                        \
  X(Ip6InReceives) X(Ip6InHdrErrors) X(Ip6InTooBigErrors) X(Ip6InNoRoutes)              \
  X(Ip6InAddrErrors) X(Ip6InUnknownProtos) X(Ip6InTruncatedPkts) X(Ip6InDiscards)       \
  X(Ip6InDelivers) X(Ip6OutRequests) X(Ip6OutDiscards) X(Ip6OutNoRoutes)                \
  X(Ip6ReasmTimeout) X(Ip6ReasmReqds) X(Ip6ReasmOKs) X(Ip6ReasmFails)                   \
  X(Ip6FragOKs) X(Ip6FragFails) X(Ip6FragCreates) X(Ip6InMcastPkts) X(Ip6OutMcastPkts)  \
  X(Ip6InOctets) X(Ip6OutOctets)                                                        \
  X(Icmp6InMsgs) X(Icmp6InErrors) X(Icmp6OutMsgs) X(Icmp6OutErrors) X(Icmp6InCsumErrors) \
  X(Icmp6OutRateLimitHost)                                                              \
  X(Icmp6InDestUnreachs) X(Icmp6InPktTooBigs) X(Icmp6InTimeExcds) X(Icmp6InParmProblems) \
  X(Icmp6InEchos) X(Icmp6InEchoReplies) X(Icmp6InRouterSolicits)                        \
  X(Icmp6InRouterAdvertisements) X(Icmp6InNeighborSolicits)                             \
  X(Icmp6InNeighborAdvertisements) X(Icmp6InRedirects)                                  \
  X(Icmp6OutDestUnreachs) X(Icmp6OutPktTooBigs) X(Icmp6OutTimeExcds)                    \
  X(Icmp6OutParmProblems) X(Icmp6OutEchoReplies) X(Icmp6OutRouterSolicits)              \
  X(Icmp6OutNeighborSolicits) X(Icmp6OutNeighborAdvertisements)                         \
  X(Icmp6InGroupMembQueries) X(Icmp6OutGroupMembResponses)                              \
  X(Icmp6OutGroupMembReductions) X(Icmp6OutMLDv2Reports)                                \
  X(Udp6InDatagrams) X(Udp6NoPorts) X(Udp6InErrors) X(Udp6OutDatagrams)                 \
  X(Udp6RcvbufErrors) X(Udp6SndbufErrors) X(Udp6InCsumErrors)                          \
  /* RFC 8985 tail loss probes (Linux names) */                                          \
  X(TcpExtTCPLossProbes) X(TcpExtTCPLossProbeRecovery)

enum class Counter : uint16_t {
#define STACKD_X(id) id,
  STACKD_COUNTERS(STACKD_X)
#undef STACKD_X
      kCount
};

constexpr size_t kCounterCount = static_cast<size_t>(Counter::kCount);

constexpr std::string_view counter_name(Counter c) {
  constexpr std::string_view kNames[] = {
#define STACKD_X(id) #id,
      STACKD_COUNTERS(STACKD_X)
#undef STACKD_X
  };
  auto i = static_cast<size_t>(c);
  return i < kCounterCount ? kNames[i] : std::string_view("unknown");
}

struct Counters {
  std::array<uint64_t, kCounterCount> v{};

  void inc(Counter c, uint64_t n = 1) { v[static_cast<size_t>(c)] += n; }
  void dec(Counter c, uint64_t n = 1) { v[static_cast<size_t>(c)] -= n; }
  uint64_t operator[](Counter c) const { return v[static_cast<size_t>(c)]; }
};

// Gauges: how much of something exists right now (not events), read from
// the layers when a report is made (Stack::gauges()), printed even at 0.
// Not Linux MIB names (Linux shows these in /proc/net/sockstat, "TCP: inuse
// N ... mem N"), but named the nstat way so scripts treat both alike:
//   TcpTcbsInUse     TCBs allocated (every state, listeners included)
//   TcpFlows         4-tuples in the TCP flow table (connections past LISTEN)
//   TcpListeners     bound listeners (the endpoint table)
//   TcpRingsInUse    send/receive ring buffers lent by the TCP BufferPool
//   TcpRingBytesInUse  their bytes
//   TcpTimersArmed   TCP timers on the timer wheel
#define STACKD_GAUGES(X)                                                   \
  X(TcpTcbsInUse) X(TcpFlows) X(TcpListeners) X(TcpRingsInUse) X(TcpRingBytesInUse) \
  X(TcpTimersArmed)

enum class Gauge : uint16_t {
#define STACKD_X(id) id,
  STACKD_GAUGES(STACKD_X)
#undef STACKD_X
      kCount
};

constexpr size_t kGaugeCount = static_cast<size_t>(Gauge::kCount);

constexpr std::string_view gauge_name(Gauge g) {
  constexpr std::string_view kNames[] = {
#define STACKD_X(id) #id,
      STACKD_GAUGES(STACKD_X)
#undef STACKD_X
  };
  auto i = static_cast<size_t>(g);
  return i < kGaugeCount ? kNames[i] : std::string_view("unknown");
}

struct Gauges {
  std::array<uint64_t, kGaugeCount> v{};

  void set(Gauge g, uint64_t x) { v[static_cast<size_t>(g)] = x; }
  uint64_t operator[](Gauge g) const { return v[static_cast<size_t>(g)]; }
};

// Per-interface link statistics, as `ip -s link` shows them.
struct LinkStats {
  uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0, rx_multicast = 0;
  uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0;
};

}  // namespace stackd
