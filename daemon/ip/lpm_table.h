// LpmTable: longest-prefix match over per-prefix-length hash tables,
// searched from the longest populated length down. A bitmask of populated
// lengths makes the search skip empty lengths, so a lookup costs one hash
// probe per populated length (typically 2-4: /32 hosts, /24 subnets, /0),
// never a scan of the routes. Keys are masked addresses of one family; the
// value per prefix is a small vector of routes sorted by metric (the first
// one wins). Used by Fib for IPv4 (32-bit keys) and IPv6 (128-bit keys).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace stackd::ip {

// Bitmask over prefix lengths 0..kMaxLen.
template <int kMaxLen>
class LengthMask {
 public:
  void set(int len) { w_[len / 64] |= uint64_t{1} << (len % 64); }
  void clear(int len) { w_[len / 64] &= ~(uint64_t{1} << (len % 64)); }
  // The longest set length <= from, or -1.
  int highest_at_or_below(int from) const {
    for (int w = from / 64; w >= 0; --w) {
      uint64_t bits = w_[w];
      if (w == from / 64) {
        int b = from % 64;
        bits &= b == 63 ? ~uint64_t{0} : ((uint64_t{1} << (b + 1)) - 1);
      }
      if (bits != 0) return w * 64 + 63 - std::countl_zero(bits);
    }
    return -1;
  }

 private:
  uint64_t w_[kMaxLen / 64 + 1] = {};
};

template <typename Key, typename Hash, typename Value, int kMaxLen>
class LpmTable {
 public:
  using Bucket = std::vector<Value>;

  Bucket* find_exact(int len, const Key& k) {
    auto it = tables_[len].find(k);
    return it == tables_[len].end() ? nullptr : &it->second;
  }
  const Bucket* find_exact(int len, const Key& k) const {
    auto it = tables_[len].find(k);
    return it == tables_[len].end() ? nullptr : &it->second;
  }
  Bucket& get_or_create(int len, const Key& k) {
    populated_.set(len);
    return tables_[len][k];
  }
  void erase(int len, const Key& k) {
    tables_[len].erase(k);
    if (tables_[len].empty()) populated_.clear(len);
  }

  // Longest match: `mask_key(len)` returns the looked-up address masked to
  // `len` bits.
  template <typename MaskFn>
  const Bucket* longest(MaskFn&& mask_key) const {
    for (int len = populated_.highest_at_or_below(kMaxLen); len >= 0;
         len = len == 0 ? -1 : populated_.highest_at_or_below(len - 1)) {
      auto it = tables_[len].find(mask_key(len));
      if (it != tables_[len].end()) return &it->second;
    }
    return nullptr;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (int len = 0; len <= kMaxLen; ++len)
      for (const auto& [k, bucket] : tables_[len])
        for (const auto& v : bucket) f(v);
  }

 private:
  std::unordered_map<Key, Bucket, Hash> tables_[kMaxLen + 1];
  LengthMask<kMaxLen> populated_;
};

}  // namespace stackd::ip
