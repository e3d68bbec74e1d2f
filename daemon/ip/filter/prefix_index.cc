#include "ip/filter/prefix_index.h"

#include <algorithm>
#include <cstring>

namespace stackd::ip::filter {

PrefixIndex::Key PrefixIndex::key_of(const IpAddr& a, uint8_t len) {
  Key k;
  k.len = len;
  k.v6 = a.is_v6() ? 1 : 0;
  const IpPrefix net = IpPrefix{a, len}.network();
  if (a.is_v4()) {
    const uint32_t v = net.addr.v4().v;
    std::memcpy(k.addr.data(), &v, sizeof(v));
  } else {
    std::memcpy(k.addr.data(), net.addr.v6().b.data(), 16);
  }
  return k;
}

uint64_t PrefixIndex::hash(const Key& k) {
  uint64_t w[2];
  std::memcpy(w, k.addr.data(), 16);
  uint64_t h = (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ull)) + (uint64_t{k.len} << 1 | k.v6);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

void PrefixIndex::build(const std::vector<std::pair<IpPrefix, uint32_t>>& rules) {
  // Group by key, each group in rule order (stable sort of index-ordered input).
  std::vector<std::pair<Key, uint32_t>> keyed;
  keyed.reserve(rules.size());
  for (const auto& [p, i] : rules) keyed.emplace_back(key_of(p.addr, p.len), i);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (a.first.v6 != b.first.v6) return a.first.v6 < b.first.v6;
    if (a.first.len != b.first.len) return a.first.len < b.first.len;
    return a.first.addr < b.first.addr;
  });
  size_t distinct = 0;
  for (size_t i = 0; i < keyed.size(); ++i)
    if (i == 0 || !(keyed[i].first == keyed[i - 1].first)) ++distinct;
  size_t n = 8;
  while (n < distinct * 2) n *= 2;  // load <= 1/2: probes stay short
  slots_.assign(n, Slot{});
  mask_ = n - 1;
  idx_.clear();
  idx_.reserve(keyed.size());
  lens_v4_.clear();
  lens_v6_.clear();
  size_ = 0;
  for (size_t i = 0; i < keyed.size();) {
    const Key k = keyed[i].first;
    Slot s{k, true, static_cast<uint32_t>(idx_.size()), 0};
    for (; i < keyed.size() && keyed[i].first == k; ++i) idx_.push_back(keyed[i].second);
    s.end = static_cast<uint32_t>(idx_.size());
    uint64_t h = hash(k) & mask_;
    while (slots_[h].used) h = (h + 1) & mask_;  // linear probing
    slots_[h] = s;
    ++size_;
    auto& lens = k.v6 ? lens_v6_ : lens_v4_;
    if (std::find(lens.begin(), lens.end(), k.len) == lens.end()) lens.push_back(k.len);
  }
  std::sort(lens_v4_.rbegin(), lens_v4_.rend());
  std::sort(lens_v6_.rbegin(), lens_v6_.rend());
}

const PrefixIndex::Slot* PrefixIndex::find(const Key& k) const {
  for (uint64_t h = hash(k) & mask_;; h = (h + 1) & mask_) {
    const Slot& s = slots_[h];
    if (!s.used) return nullptr;
    if (s.key == k) return &s;
  }
}

size_t PrefixIndex::lookup(const IpAddr& a, std::span<std::span<const uint32_t>> out) const {
  if (size_ == 0) return 0;
  size_t n = 0;
  for (uint8_t len : a.is_v6() ? lens_v6_ : lens_v4_) {
    if (n == out.size()) break;
    if (const Slot* s = find(key_of(a, len))) out[n++] = {idx_.data() + s->begin, idx_.data() + s->end};
  }
  return n;
}

}  // namespace stackd::ip::filter
