#include "transport/tcp/siphash.h"

#include <bit>

namespace stackd::tcp {
namespace {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct State {
  uint64_t v0, v1, v2, v3;

  // One SipRound (paper §2, Figure 2.1).
  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  // c = 2 compression rounds per message word.
  void compress(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

SipKey SipKey::from_bytes(std::span<const uint8_t, 16> b) {
  return {load_le64(b.data()), load_le64(b.data() + 8)};
}

uint64_t siphash24(const SipKey& key, std::span<const uint8_t> msg) {
  // Initialization: the key XORed into "somepseudorandomlygeneratedbytes".
  State s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
          key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
  const size_t n = msg.size();
  const uint8_t* p = msg.data();
  size_t off = 0;
  for (; off + 8 <= n; off += 8) s.compress(load_le64(p + off));
  // Last word: the remaining 0..7 bytes, with the message length mod 256
  // in the top byte.
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = 0; off + i < n; ++i) last |= static_cast<uint64_t>(p[off + i]) << (8 * i);
  s.compress(last);
  // Finalization: d = 4 rounds.
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace stackd::tcp
