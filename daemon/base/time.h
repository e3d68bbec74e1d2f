// Time is an input (STYLE.md #8): protocol code takes `now` and reports its
// next deadline; it never reads a clock. Instant is nanoseconds since an
// arbitrary epoch (the daemon uses CLOCK_MONOTONIC, tests a ManualClock).
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace stackd {

struct Duration {
  int64_t ns = 0;

  static constexpr Duration nanos(int64_t n) { return {n}; }
  static constexpr Duration micros(int64_t n) { return {n * 1000}; }
  static constexpr Duration millis(int64_t n) { return {n * 1000'000}; }
  static constexpr Duration seconds(int64_t n) { return {n * 1000'000'000}; }
  static constexpr Duration zero() { return {0}; }
  static constexpr Duration max() { return {std::numeric_limits<int64_t>::max()}; }

  constexpr int64_t as_micros() const { return ns / 1000; }
  constexpr int64_t as_millis() const { return ns / 1000'000; }
  constexpr double as_seconds() const { return static_cast<double>(ns) / 1e9; }

  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return {ns * k}; }
  constexpr Duration operator/(int64_t k) const { return {ns / k}; }
  constexpr Duration& operator+=(Duration o) { ns += o.ns; return *this; }
  constexpr Duration& operator-=(Duration o) { ns -= o.ns; return *this; }
  constexpr auto operator<=>(const Duration&) const = default;
};

struct Instant {
  int64_t ns = 0;

  static constexpr Instant from_nanos(int64_t n) { return {n}; }
  // "Never": the deadline of something with no timer armed.
  static constexpr Instant never() { return {std::numeric_limits<int64_t>::max()}; }
  constexpr bool is_never() const { return ns == std::numeric_limits<int64_t>::max(); }

  constexpr Instant operator+(Duration d) const {
    if (is_never()) return *this;
    return {ns + d.ns};
  }
  constexpr Instant operator-(Duration d) const { return {ns - d.ns}; }
  constexpr Duration operator-(Instant o) const { return {ns - o.ns}; }
  constexpr Instant& operator+=(Duration d) { ns += d.ns; return *this; }
  constexpr auto operator<=>(const Instant&) const = default;
};

constexpr Instant earliest(Instant a, Instant b) { return a < b ? a : b; }

// The clock tests drive by hand.
class ManualClock {
 public:
  explicit ManualClock(Instant start = Instant::from_nanos(1'000'000'000)) : now_(start) {}
  Instant now() const { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(Instant t) { now_ = t; }

 private:
  Instant now_;
};

}  // namespace stackd
