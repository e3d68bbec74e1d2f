// NewReno congestion control (RFC 5681, RFC 6582) behind the
// CongestionControl interface, plus the Reno building blocks other
// algorithms reuse (as Linux exports tcp_slow_start/tcp_cong_avoid_ai).
//
// The sender this interface assumes is the RFC 6675 pipe-based one: in
// recovery it sends while pipe < cwnd, so on entering recovery cwnd is set
// to ssthresh directly and never inflated per duplicate ACK (RFC 5681
// §3.2 steps 3-4 inflation is replaced by the pipe estimate). RFC 6582's
// "full ACK" deflation is then cwnd = ssthresh on exit. Partial ACKs are
// the sender's business (it retransmits the next hole); cwnd stays put.
#pragma once

#include <cstdint>

#include "transport/tcp/congestion.h"

namespace stackd::tcp {

// RFC 5681 §3.1: ssthresh "arbitrarily high" before any loss.
inline constexpr uint32_t kInitialSsthresh = 0x7fffffff;

// RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)).
constexpr uint32_t initial_window(uint32_t mss) {
  const uint32_t a = 2 * mss > 14600 ? 2 * mss : 14600;
  return 10 * mss < a ? 10 * mss : a;
}

// RFC 5681 eq. (4): max(FlightSize / 2, 2*SMSS).
constexpr uint32_t reno_ssthresh(uint32_t flight, uint32_t mss) {
  return flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
}

// RFC 5681 §3.1 slow start with RFC 3465 Appropriate Byte Counting: cwnd
// grows by the bytes acked, at most L*SMSS (L = 2) per ACK, and not past
// ssthresh. Returns the acked bytes left over once cwnd reached ssthresh
// (for congestion avoidance, as Linux tcp_slow_start does).
uint32_t abc_slow_start(CcState& s, uint32_t bytes_acked);

// RFC 5681 §3.1 congestion avoidance, byte counted (RFC 3465 §2.1): once
// a window's worth of bytes has been acked, cwnd grows by one SMSS.
// `acc` is the caller's bytes_acked accumulator.
void byte_counted_avoidance(CcState& s, uint32_t bytes_acked, uint32_t& acc);

class NewReno final : public CongestionControl {
 public:
  std::string_view name() const override { return "reno"; }
  void init(CcState& s, Instant now) override;
  void on_ack(CcState& s, const AckEvent& ev) override;
  void on_enter_recovery(CcState& s, uint32_t bytes_in_flight, Instant now) override;
  void on_exit_recovery(CcState& s, Instant now) override;
  void on_rto(CcState& s, uint32_t bytes_in_flight, Instant now) override;
  void on_spurious(CcState& s, Instant now) override;
  void on_idle_restart(CcState& s, Instant now) override;

 private:
  void remember_for_undo(const CcState& s);

  uint32_t ca_acc_ = 0;          // RFC 3465 bytes_acked in congestion avoidance
  bool rto_backed_off_ = false;  // an RTO fired and no new data was acked since
  uint32_t undo_cwnd_ = 0;       // before the last reduction (RFC 4015 response)
  uint32_t undo_ssthresh_ = 0;
};

}  // namespace stackd::tcp
