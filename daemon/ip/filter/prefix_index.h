// PrefixIndex: which rules' address prefixes contain a packet's address,
// without looking at every rule. One exact-match hash table keyed by
// (family, prefix length, masked address), probed once per prefix length
// in use for the packet's family (the "hash per length" form of longest-
// prefix matching, here returning every containing prefix, not only the
// longest: a packet is a candidate for all of them and the chain keeps
// first-match order by rule index).
//
// Cost per lookup: one hash probe per distinct length in the family's
// rules (a block list of 1,000 /32s and /24s: two probes), independent of
// the number of rules. Built once per rule-set snapshot; read only after.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/addr.h"

namespace stackd::ip::filter {

class PrefixIndex {
 public:
  // (prefix, rule index) in ascending rule index order; prefixes of length
  // 0 do not belong here (they contain everything of their family).
  void build(const std::vector<std::pair<IpPrefix, uint32_t>>& rules);

  // The index lists (each ascending) of the rules whose prefix contains
  // `a`, one per matching length, into `out`; returns how many.
  size_t lookup(const IpAddr& a, std::span<std::span<const uint32_t>> out) const;

  bool empty() const { return size_ == 0; }
  size_t rules() const { return idx_.size(); }
  // At most this many lists come back from one lookup (the lengths in use
  // for the family with the most): the size of `out` the caller needs.
  size_t max_lists() const { return std::max(lens_v4_.size(), lens_v6_.size()); }

 private:
  struct Key {
    std::array<uint8_t, 16> addr{};  // masked; IPv4 in the first 4 bytes
    uint8_t len = 0;
    uint8_t v6 = 0;
    bool operator==(const Key&) const = default;
  };
  struct Slot {
    Key key;
    bool used = false;
    uint32_t begin = 0, end = 0;  // into idx_
  };
  static Key key_of(const IpAddr& a, uint8_t len);
  static uint64_t hash(const Key& k);
  const Slot* find(const Key& k) const;

  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
  std::vector<uint32_t> idx_;
  std::vector<uint8_t> lens_v4_, lens_v6_;  // distinct lengths in use, longest first
};

}  // namespace stackd::ip::filter
