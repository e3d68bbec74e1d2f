// Sequence numbers as their own type (STYLE.md #3): a SeqNum is a position
// in the 2^32 sequence space, a SeqLen a distance. Comparison is modular
// (RFC 9293 §3.4; Linux before()/after()) and there is deliberately no
// operator<, so a wrapping number can never key an ordered container.
#pragma once

#include <cstdint>

namespace stackd::tcp {

struct SeqLen {
  uint32_t v = 0;
  constexpr auto operator<=>(const SeqLen&) const = default;
  constexpr SeqLen operator+(SeqLen o) const { return {v + o.v}; }
  constexpr SeqLen operator-(SeqLen o) const { return {v - o.v}; }
};

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t v) : v_(v) {}
  constexpr uint32_t raw() const { return v_; }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr SeqNum operator+(SeqLen d) const { return SeqNum(v_ + d.v); }
  constexpr SeqNum operator+(uint32_t d) const { return SeqNum(v_ + d); }
  constexpr SeqNum operator-(uint32_t d) const { return SeqNum(v_ - d); }
  constexpr SeqNum& operator+=(uint32_t d) { v_ += d; return *this; }
  constexpr SeqNum& operator+=(SeqLen d) { v_ += d.v; return *this; }
  // Distance from o to this (this - o), valid when this is not before o.
  constexpr SeqLen operator-(SeqNum o) const { return {v_ - o.v_}; }

  constexpr bool before(SeqNum o) const { return static_cast<int32_t>(v_ - o.v_) < 0; }
  constexpr bool after(SeqNum o) const { return o.before(*this); }
  constexpr bool before_eq(SeqNum o) const { return !after(o); }
  constexpr bool after_eq(SeqNum o) const { return !before(o); }
  // lo <= this < lo + len  (RFC 9293 §3.10.7.4 acceptability tests)
  constexpr bool in_window(SeqNum lo, uint32_t len) const { return (v_ - lo.v_) < len; }
  // lo <= this <= hi
  constexpr bool in_range(SeqNum lo, SeqNum hi) const {
    return (v_ - lo.v_) <= (hi.v_ - lo.v_);
  }

 private:
  uint32_t v_ = 0;
};

// One SACK block (RFC 2018 §3): [start, end) of received data.
struct SackBlock {
  SeqNum start;
  SeqNum end;
  constexpr bool operator==(const SackBlock&) const = default;
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a.after(b) ? a : b; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a.before(b) ? a : b; }

}  // namespace stackd::tcp
