// FlatTable: an open-addressing hash table (linear probing, backward-shift
// deletion, power-of-two capacity, at most half full) for the demux tables
// on the receive hot path: one contiguous array, no node allocation, no
// tombstones, a lookup touches one or two cache lines. Grows (allocates)
// only on insert, which is a control-path operation (bind/connect/accept).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace stackd::transport {

template <typename Key, typename Value, typename Hash>
class FlatTable {
 public:
  explicit FlatTable(size_t initial_capacity = 64) {
    size_t cap = 16;
    while (cap < initial_capacity) cap <<= 1;
    slots_.resize(cap);
    mask_ = cap - 1;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  Value* find(const Key& k) {
    for (size_t i = Hash{}(k) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == k) return &s.value;
    }
  }
  const Value* find(const Key& k) const { return const_cast<FlatTable*>(this)->find(k); }

  // False when the key is already present (the table is unchanged).
  bool insert(const Key& k, Value v) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    for (size_t i = Hash{}(k) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = k;
        s.value = std::move(v);
        ++size_;
        return true;
      }
      if (s.key == k) return false;
    }
  }

  bool erase(const Key& k) {
    size_t i = Hash{}(k) & mask_;
    for (;; i = (i + 1) & mask_) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == k) break;
    }
    // Backward-shift: move later members of the probe run into the hole.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      size_t home = Hash{}(slots_[j].key) & mask_;
      // Can slot j move to the hole? Only if its home is not in (hole, j].
      bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!between) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    Key key{};
    Value value{};
    bool used = false;
  };
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    size_ = 0;
    for (auto& s : old)
      if (s.used) insert(s.key, std::move(s.value));
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace stackd::transport
