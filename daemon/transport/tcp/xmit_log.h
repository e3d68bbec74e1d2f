// XmitLog: the sender's record of its transmissions for RACK (RFC 8985
// §6.1 "per-segment variables": Segment.xmit_ts, end_seq, retransmitted,
// lost), kept for [snd.una, snd_max) while data is in flight.
//
// stackd sends out of a byte ring and re-cuts segments from it, so a
// "segment" here is a range of sequence space with the time it was last
// sent: entries are in sequence order, each starting where the previous one
// ends (the first at `start()`), so an entry is (end_seq, xmit time, flags).
// A retransmission of a range that does not match the original cut splits
// the entries at its edges (a smaller MSS after PMTU, SACK blocks shortening
// a segment); the ranges stay exact.
//
// Bounded and lazy (tcp README "Memory"): the storage (kMaxEntries) is
// allocated at the first transmission of data and released when everything
// is acknowledged, so an idle connection holds one null pointer. A full log
// merges a new transmission into its last entry and does not split an entry
// (the whole entry takes the newer time): RACK then believes some octets were
// sent later than they were, which can only delay a loss decision, never
// cause a spurious one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "transport/tcp/seq.h"

namespace stackd::tcp {

class XmitLog {
 public:
  static constexpr size_t kMaxEntries = 256;  // > a 256 KiB ring / 1448-octet segments
  enum Flag : uint8_t {
    kRetrans = 1,  // RFC 8985 Segment.retransmitted
    kLost = 2,     // RFC 8985 Segment.lost: marked, not yet retransmitted
    kSacked = 4,   // delivered (wholly SACKed) and already fed to RACK
  };
  struct Entry {
    SeqNum end;        // one past its last octet (RFC 8985 Segment.end_seq)
    uint32_t xmit_us;  // when it was last sent (RFC 8985 Segment.xmit_ts), µs clock, wraps
    uint8_t flags;
  };

  // [seq, end) was (re)sent at `us`. At or beyond the last entry's end it is
  // new data (appended); below it a retransmission (the entries it covers
  // take `us` and kRetrans, and lose kLost / kSacked).
  void on_send(SeqNum seq, SeqNum end, uint32_t us);
  // The cumulative ACK moved to `una`: entries wholly below it go; an entry
  // it falls into starts at `una` from now on.
  void trim(SeqNum una);
  void clear_flag(uint8_t f);
  void release() { b_.reset(); }  // all acknowledged (or the TCB goes)

  bool allocated() const { return b_ != nullptr; }
  size_t size() const { return b_ ? b_->count : 0; }
  SeqNum start() const { return b_ ? b_->base : SeqNum(); }
  // Start of entry i (the previous entry's end).
  SeqNum start(size_t i) const { return i == 0 ? b_->base : b_->e[i - 1].end; }
  Entry& at(size_t i) { return b_->e[i]; }
  const Entry& at(size_t i) const { return b_->e[i]; }

 private:
  struct Block {
    std::array<Entry, kMaxEntries> e;
    SeqNum base;  // start of e[0]
    uint16_t count = 0;
  };
  // Split the entry holding `at` strictly inside into two; false when full.
  void split(SeqNum at);
  std::unique_ptr<Block> b_;
};

}  // namespace stackd::tcp
