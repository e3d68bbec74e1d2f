// Congestion control behind a small interface (STYLE.md #6; VPP tcp_cc.h,
// Linux tcp_congestion_ops). The sender owns cwnd/ssthresh in the TCB and
// tells the algorithm what happened; the algorithm changes only the values
// in CcState it is handed. Chosen per socket by name (TCP_CONGESTION).
// The events carry what BBR (delivery rate, min RTT) and DCTCP (ECN-marked
// bytes) need, so they can be added without touching the sender.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace stackd::tcp {

// The congestion state shared with the sender (bytes, not segments).
struct CcState {
  uint32_t cwnd = 0;        // RFC 5681 cwnd
  uint32_t ssthresh = 0;    // RFC 5681 ssthresh (0x7fffffff initially: "arbitrarily high")
  uint32_t mss = 536;       // SMSS
  uint32_t pacing_rate = 0; // bytes/s; 0 = no pacing (for BBR later)
};

// One ACK's worth of news for the algorithm.
struct AckEvent {
  Instant now;
  uint32_t bytes_acked = 0;       // newly cumulatively or selectively acked
  uint32_t bytes_in_flight = 0;   // after processing the ACK (RFC 6675 pipe)
  Duration rtt_sample{-1};        // latest RTT sample, negative when none (Karn)
  Duration min_rtt{-1};
  Duration srtt{-1};              // RFC 6298 SRTT, negative when none (CUBIC's RTT, RFC 9438 §4.2)
  uint64_t delivered = 0;         // total bytes delivered (delivery-rate estimation)
  uint64_t delivery_rate = 0;     // bytes/s estimate, 0 when unknown
  uint32_t ece_bytes = 0;         // bytes acked with ECE (DCTCP)
  bool in_recovery = false;       // the sender is in fast recovery
  bool app_limited = false;
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual std::string_view name() const = 0;
  // Connection established (or the algorithm was switched): set the initial window.
  virtual void init(CcState& s, Instant now) = 0;
  // New data acknowledged outside recovery: grow cwnd (slow start / avoidance).
  virtual void on_ack(CcState& s, const AckEvent& ev) = 0;
  // Loss detected by duplicate ACKs / SACK (RFC 5681 §3.2 step 2, RFC 6675):
  // set ssthresh (and cwnd) on entering recovery.
  virtual void on_enter_recovery(CcState& s, uint32_t bytes_in_flight, Instant now) = 0;
  // Recovery ended (snd.una passed the recovery point): cwnd = ssthresh or as the algorithm says.
  virtual void on_exit_recovery(CcState& s, Instant now) = 0;
  // Retransmission timeout (RFC 5681 §3.1 eq. 4; cwnd to the loss window).
  virtual void on_rto(CcState& s, uint32_t bytes_in_flight, Instant now) = 0;
  // A retransmission turned out spurious (undo, optional).
  virtual void on_spurious(CcState&, Instant) {}
  // After an idle period longer than the RTO (RFC 5681 §4.1 restart window).
  virtual void on_idle_restart(CcState& s, Instant now) = 0;
};

// Registry: create an algorithm by its Linux name ("reno", "cubic");
// nullptr when unknown. `available()` lists the names (tcp_available_congestion_control).
std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name);
std::vector<std::string_view> available_congestion_controls();

}  // namespace stackd::tcp
