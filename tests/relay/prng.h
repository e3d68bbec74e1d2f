// Seeded pseudo-random numbers for the impairment relay.
//
// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): one 64-bit state word, full period 2^64, and
// every draw is a pure function of the seed and the draw count, so the same
// seed over the same frame sequence makes the very same decisions on every
// machine (no std::*_distribution, whose output is implementation-defined).
#pragma once

#include <cmath>
#include <cstdint>

namespace stackd::relay {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability p (p <= 0 never draws, so a disabled impairment
  // does not shift the sequence of the others).
  bool chance(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return uniform() < p;
  }

  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias for
  // the n used here, frame sizes in bits, is below 2^-40).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Standard normal deviate (Box-Muller, one of the pair).
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 0x1.0p-60) u1 = 0x1.0p-60;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace stackd::relay
