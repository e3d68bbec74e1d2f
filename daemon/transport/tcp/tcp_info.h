// Per-connection information equivalent to Linux TCP_INFO
// (include/uapi/linux/tcp.h struct tcp_info), filled from the TCB so the
// shim can answer getsockopt(TCP_INFO) and stackctl can print `ss -ti`.
// Plain data: names are Linux's without the tcpi_ prefix, units are
// Linux's (stated per field), and the codes are Linux's so the shim copies
// them across unchanged. Not a wire/ABI layout: the shim builds the real
// struct tcp_info field by field (no bitfields or padding assumptions here).
#pragma once

#include <cstdint>

namespace stackd::tcp {

// tcpi_state: Linux TCP_ESTABLISHED.. values (include/net/tcp_states.h).
enum class TcpInfoState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};

// tcpi_ca_state: Linux enum tcp_ca_state.
enum class TcpCaState : uint8_t {
  kOpen = 0,      // no loss suspected
  kDisorder = 1,  // dup ACKs / SACK seen, no retransmission yet
  kCwr = 2,       // cwnd reduced for ECN/local congestion
  kRecovery = 3,  // fast recovery (RFC 6675 / RFC 6582)
  kLoss = 4,      // after an RTO
};

// tcpi_options bits (Linux TCPI_OPT_*).
inline constexpr uint8_t kTcpiOptTimestamps = 1;
inline constexpr uint8_t kTcpiOptSack = 2;
inline constexpr uint8_t kTcpiOptWscale = 4;
inline constexpr uint8_t kTcpiOptEcn = 8;
inline constexpr uint8_t kTcpiOptEcnSeen = 16;
inline constexpr uint8_t kTcpiOptSynData = 32;

struct TcpInfo {
  TcpInfoState state = TcpInfoState::kClose;
  TcpCaState ca_state = TcpCaState::kOpen;
  uint8_t retransmits = 0;   // consecutive RTO retransmissions of the head segment
  uint8_t probes = 0;        // unanswered zero-window / keepalive probes
  uint8_t backoff = 0;       // RTO backoff exponent (RFC 6298 (5.5) doublings)
  uint8_t options = 0;       // kTcpiOpt* bits
  uint8_t snd_wscale = 0;    // the peer's window shift (RFC 7323), 0..14
  uint8_t rcv_wscale = 0;    // our window shift
  bool delivery_rate_app_limited = false;

  uint32_t rto = 0;          // µs
  uint32_t ato = 0;          // µs, delayed-ACK timeout
  uint32_t snd_mss = 0;      // bytes
  uint32_t rcv_mss = 0;      // bytes, estimate of the peer's segment size

  uint32_t unacked = 0;      // segments sent and not yet acked
  uint32_t sacked = 0;       // segments SACKed (RFC 2018)
  uint32_t lost = 0;         // segments deemed lost (RFC 6675 IsLost)
  uint32_t retrans = 0;      // segments retransmitted and not yet acked
  uint32_t fackets = 0;      // always 0 (Linux removed FACK)

  uint32_t last_data_sent = 0;  // ms since
  uint32_t last_ack_sent = 0;   // ms since (Linux reports 0: not tracked)
  uint32_t last_data_recv = 0;  // ms since
  uint32_t last_ack_recv = 0;   // ms since

  uint32_t pmtu = 0;          // bytes, path MTU (RFC 1191)
  uint32_t rcv_ssthresh = 0;  // bytes, receive window clamp
  uint32_t rtt = 0;           // µs, RFC 6298 SRTT
  uint32_t rttvar = 0;        // µs, RFC 6298 RTTVAR
  uint32_t snd_ssthresh = 0;  // segments (Linux reports ssthresh/SMSS; 0x7fffffff = infinite)
  uint32_t snd_cwnd = 0;      // segments
  uint32_t advmss = 0;        // bytes, MSS we advertised
  uint32_t reordering = 0;    // segments, reordering degree (Linux default 3)

  uint32_t rcv_rtt = 0;       // µs, receiver-side RTT estimate (DRS)
  uint32_t rcv_space = 0;     // bytes, receive-buffer autotuning space

  uint32_t total_retrans = 0;  // segments retransmitted over the connection's life

  uint64_t pacing_rate = 0;      // bytes/s (0 = no pacing; Linux reports ~0ULL for "unlimited")
  uint64_t max_pacing_rate = 0;  // bytes/s (SO_MAX_PACING_RATE)
  uint64_t bytes_acked = 0;      // RFC 4898 tcpEStatsAppHCThruOctetsAcked
  uint64_t bytes_received = 0;   // RFC 4898 tcpEStatsAppHCThruOctetsReceived
  uint32_t segs_out = 0;         // RFC 4898 tcpEStatsPerfSegsOut
  uint32_t segs_in = 0;          // RFC 4898 tcpEStatsPerfSegsIn

  uint32_t notsent_bytes = 0;    // bytes queued and never sent
  uint32_t min_rtt = 0;          // µs, windowed minimum RTT
  uint32_t data_segs_in = 0;     // RFC 4898 tcpEStatsDataSegsIn
  uint32_t data_segs_out = 0;    // RFC 4898 tcpEStatsDataSegsOut

  uint64_t delivery_rate = 0;    // bytes/s, latest delivery-rate sample

  uint64_t busy_time = 0;          // µs with data in flight
  uint64_t rwnd_limited = 0;       // µs limited by the receive window
  uint64_t sndbuf_limited = 0;     // µs limited by the send buffer

  uint32_t delivered = 0;        // segments delivered (incl. retransmissions)
  uint32_t delivered_ce = 0;     // of those, acked with ECE

  uint64_t bytes_sent = 0;       // RFC 4898 tcpEStatsPerfHCDataOctetsOut (incl. retransmissions)
  uint64_t bytes_retrans = 0;    // RFC 4898 tcpEStatsPerfOctetsRetrans
  uint32_t dsack_dups = 0;       // RFC 4898 tcpEStatsStackDSACKDups (RFC 2883 D-SACKs received)
  uint32_t reord_seen = 0;       // reordering events seen

  uint32_t rcv_ooopack = 0;      // out-of-order packets received
  uint32_t snd_wnd = 0;          // bytes, peer's advertised window (scaled)
  uint32_t rcv_wnd = 0;          // bytes, our advertised window (scaled)
};

}  // namespace stackd::tcp
