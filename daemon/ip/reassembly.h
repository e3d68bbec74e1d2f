// IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5) reassembly,
// memory-bounded. One Reassembler per family (each IP layer owns one; the
// family picks the Ip* or Ip6* counters).
//
// Datagrams are keyed by (src, dst, id, protocol) in a hash table (IPv6:
// protocol 0, RFC 8200 §4.5 keys by addresses and identification). Each
// datagram reassembles into ONE buffer from a HeapPool: the payload of every
// fragment is copied at its offset as it arrives; the buffer is sized by the
// end seen so far (grown geometrically, at most 65535 bytes) and by the total
// once the last fragment (MF=0) fixed it. The ranges received are kept per
// datagram (at most IpConfig.reasm_max_frags of them), so completeness is
// "bytes received == total" because no two ranges may overlap.
//
// Policy (RFC 5722-style, as Linux since the FragmentSmack fixes):
//  - ANY overlap with a held fragment discards the whole datagram
//    (kIpFragOverlap; for IPv6 this is RFC 5722 §4 exactly). Our documented choice for an EXACT duplicate (same
//    offset, same length, same MF): only the duplicate is dropped
//    (kIpFragDuplicate) and the datagram lives on, because a network that
//    duplicates packets would otherwise make reassembly impossible; the
//    bytes of the first copy are kept.
//  - a non-last fragment whose length is not a multiple of 8, or an empty
//    one: kIpFragBad (discard the datagram).
//  - a last fragment (MF=0) whose end differs from a previous last
//    fragment's, or ends before bytes already held, or a fragment past a
//    known end: kIpFragBad.
//  - offset + length beyond 65535 - header length: kIpFragTooBig.
//  - more than reasm_max_frags fragments: kIpFragTooMany.
//  - the global bound reasm_max_bytes (sum of reassembly buffers): the
//    oldest datagrams are evicted (kIpReasmMemory, IpReasmFails).
//  - a datagram not complete reasm_timeout after its first fragment arrived
//    is discarded (kIpReasmTimeout, IpReasmTimeout + IpReasmFails); the
//    owner is told so it can send ICMP time exceeded code 1 when the
//    offset-0 fragment had arrived (RFC 792, RFC 1122 §3.2.1.4).
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/pool.h"

namespace stackd::ip {

struct ReasmLimits {
  Duration timeout = Duration::seconds(30);
  uint32_t max_bytes = 4u << 20;
  uint32_t max_frags = 64;
};

// One received fragment, as IPv4 input parsed it.
struct FragmentIn {
  IpAddr src, dst;
  uint32_t id = 0;
  uint8_t protocol = 0;
  uint32_t offset = 0;  // bytes (fragment offset field * 8)
  bool more = false;    // MF
  uint16_t ifindex = 0;
  // This fragment's IP header (options included). IPv6: the header and
  // the unfragmentable extension headers, without the Fragment header,
  // the last next-header field naming the fragmentable part's first header.
  std::span<const uint8_t> header;
  std::span<const uint8_t> payload;  // its data
};

// The IP header of the offset-0 fragment plus the first 8 data bytes: what
// an ICMP error about the datagram quotes (RFC 792).
inline constexpr size_t kReasmMaxHeader = 128;  // IPv4: 60; IPv6: 40 + unfragmentable part

struct FirstFragmentQuote {
  uint8_t bytes[kReasmMaxHeader + 8] = {};
  uint8_t header_len = 0;
  uint8_t len = 0;
  std::span<const uint8_t> span() const { return {bytes, len}; }
};

struct Reassembled {
  buf::PacketBuf payload;  // the whole L4 datagram, with headroom in front
  FirstFragmentQuote first;
  uint16_t ifindex = 0;  // interface of the fragment that completed it
};

struct ReasmExpired {
  IpAddr src, dst;
  uint16_t ifindex = 0;
  std::optional<FirstFragmentQuote> first;  // set when the offset-0 fragment arrived
};

class Reassembler {
 public:
  Reassembler(const ReasmLimits& limits, buf::HeapPool& pool, Counters& counters,
              DropStats& drops, IpFamily family = IpFamily::kV4)
      : limits_(limits), pool_(pool), counters_(counters), drops_(drops), v6_(family == IpFamily::kV6) {}

  // Take one fragment; returns the datagram when this fragment completed it.
  std::optional<Reassembled> add(const FragmentIn& f, Instant now);

  // The earliest datagram timeout (Instant::never() when none is held).
  Instant poll_at() const;
  // Discard every datagram whose timeout is due, calling
  // on_expired(const ReasmExpired&) for each.
  template <typename F>
  void on_timer(Instant now, F&& on_expired) {
    while (!order_.empty()) {
      auto it = table_.find(order_.front());
      if (it->second.deadline > now) break;
      ReasmExpired e{it->first.src, it->first.dst, it->second.ifindex, std::nullopt};
      if (it->second.have_first) e.first = it->second.first;
      counters_.inc(v6_ ? Counter::Ip6ReasmTimeout : Counter::IpReasmTimeout);
      fail(it, DropReason::kIpReasmTimeout);
      on_expired(static_cast<const ReasmExpired&>(e));
    }
  }

  size_t datagrams() const { return table_.size(); }
  size_t bytes_held() const { return bytes_; }

 private:
  struct Key {
    IpAddr src, dst;
    uint32_t id;
    uint8_t protocol;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    static uint64_t fold(const IpAddr& x) {
      if (x.is_v4()) return x.v4().v;
      uint64_t hi, lo;
      std::memcpy(&hi, x.v6().b.data(), 8);
      std::memcpy(&lo, x.v6().b.data() + 8, 8);
      return hi ^ (lo * 0xc2b2ae3d27d4eb4full);
    }
    size_t operator()(const Key& k) const noexcept {
      uint64_t a = (fold(k.src) << 32) ^ fold(k.dst);
      uint64_t b = (uint64_t{k.id} << 8) | k.protocol;
      return (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^ (a >> 29);
    }
  };
  struct Range {
    uint32_t start, end;
    bool more;
  };
  struct Datagram {
    Instant deadline;
    buf::PacketBuf buf;        // window = [0, max end received)
    uint32_t total = 0;        // payload length, once the last fragment arrived
    bool have_last = false;
    bool have_first = false;
    uint32_t received = 0;     // bytes held (ranges never overlap)
    std::vector<Range> ranges;
    FirstFragmentQuote first;
    uint16_t ifindex = 0;
    std::list<Key>::iterator order;
  };
  using Table = std::unordered_map<Key, Datagram, KeyHash>;

  // Discard a datagram: IpReasmFails, one drop under `why`.
  void fail(Table::iterator it, DropReason why);
  // Make the buffer of `d` at least `end` bytes long; false when the
  // memory bound or the pool refuses (after evicting older datagrams).
  bool grow(Table::iterator it, uint32_t end);

  ReasmLimits limits_;
  buf::HeapPool& pool_;
  Counters& counters_;
  DropStats& drops_;
  Table table_;
  std::list<Key> order_;  // arrival order of first fragments = timeout order
  size_t bytes_ = 0;      // sum of reassembly buffer capacities
  bool v6_ = false;
};

}  // namespace stackd::ip
