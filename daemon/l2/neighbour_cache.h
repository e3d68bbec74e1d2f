// The neighbour cache: IP address -> link address per interface, with the
// reachability state machine of RFC 4861 §7.3.2 as Linux runs it for ARP
// too (RFC 1122 §2.3.2.1 asks ARP to re-validate and time out entries).
// Keyed by (interface index, IpAddr): ARP and IPv6 ND share it.
//
// Storage is a fixed slab of `cache_size` entries found through a hash
// table (no linear scans); entries that may be evicted (FAILED, then STALE
// oldest first) sit on an intrusive list so eviction is O(1). Timers live
// in a min-heap of (deadline, slot, generation) with lazy re-arming.
//
// The cache does no I/O: it asks its owner (Events) to send solicitations,
// to transmit packets that waited for resolution, and reports packets whose
// resolution failed. Time is an input: poll_at() / on_timer(now).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/addr.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/packet.h"
#include "stack/config.h"

namespace stackd::l2 {

// RFC 4861 §7.3.2 states, plus FAILED and PERMANENT as Linux has them
// (`ip neigh` names).
enum class NeighState : uint8_t {
  kIncomplete,  // resolution in progress, packets may be queued
  kReachable,   // confirmed within the last reachable time
  kStale,       // unconfirmed; usable, validated when next used
  kDelay,       // used while STALE; waiting for upper-layer confirmation
  kProbe,       // unicast solicitations are being sent
  kFailed,      // resolution failed; kept for listing, evicted first
  kPermanent,   // static entry: never ages, never changed by the network
};
std::string_view neigh_state_name(NeighState s);

// RFC 4861 §10 DELAY_FIRST_PROBE_TIME (Linux delay_first_probe_time).
inline constexpr Duration kDelayFirstProbeTime = Duration::seconds(5);

// What a received packet tells us about a neighbour.
enum class NeighEvidence : uint8_t {
  kConfirmed,  // a unicast reply to our request: proves two-way reachability
  kHeard,      // a request, a broadcast reply, a gratuitous announcement
};

// The result of learn().
enum class LearnResult : uint8_t {
  kUpdated,       // an existing entry was merged (RFC 826 merge_flag)
  kCreated,       // a new entry was added
  kIgnored,       // no entry and creation not allowed, or a static entry
  kCacheFull,     // creation refused (counted as kNeighCacheFull)
};

// A read-only snapshot of one entry (listing, tests, the control plane).
struct NeighInfo {
  uint16_t ifindex = 0;
  IpAddr addr;
  MacAddr mac;           // meaningless while INCOMPLETE/FAILED without one
  NeighState state = NeighState::kIncomplete;
  uint32_t probes = 0;   // solicitations sent in the current INCOMPLETE/PROBE round
  size_t pending = 0;    // packets waiting for resolution
  Instant updated;       // last state or address change
};

class NeighbourCache {
 public:
  // What the cache needs from the protocol that owns it (ARP; ND later).
  class Events {
   public:
    virtual ~Events() = default;
    // Send a solicitation for `target`: broadcast (ARP) / multicast (ND)
    // while INCOMPLETE, unicast to `unicast_to` while PROBE.
    virtual void solicit(uint16_t ifindex, const IpAddr& target,
                         std::optional<MacAddr> unicast_to, Instant now) = 0;
    // The entry resolved: transmit the packets that waited, in order.
    virtual void resolved(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                          std::span<buf::PacketBuf> pending, Instant now) = 0;
    // Resolution failed after max_probes; the packets are dropped (counted
    // as kNeighUnresolved) when this returns. The handler may read them
    // (e.g. to build ICMP host unreachable, RFC 1122 §3.2.2.1).
    virtual void unresolved(uint16_t ifindex, const IpAddr& addr,
                            std::span<buf::PacketBuf> pending, Instant now) = 0;
  };

  NeighbourCache(const stack::NeighbourTimers& timers, DropStats& drops, Events& events);
  NeighbourCache(const NeighbourCache&) = delete;
  NeighbourCache& operator=(const NeighbourCache&) = delete;

  // Output path (RFC 4861 §7.2.2, §7.3.3). Returns the link address to
  // send `pkt` to now (pkt is left with the caller), or nullopt when the
  // packet was taken: queued while resolution runs (an INCOMPLETE entry is
  // created and a solicitation sent if there was none) or dropped with a
  // counted reason (queue overflow drops the oldest; cache full).
  // Using a STALE entry moves it to DELAY.
  std::optional<MacAddr> resolve(uint16_t ifindex, const IpAddr& addr, buf::PacketBuf& pkt,
                                 Instant now);

  // Input path: a packet from `addr` said its link address is `mac`.
  // Existing entries are updated (RFC 826 merge); a new entry is created
  // only when `may_create` (RFC 826: the packet's target is us).
  LearnResult learn(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                    NeighEvidence evidence, bool may_create, Instant now);

  // RFC 4861 §7.2.5: a Neighbor Advertisement for `addr` with its flags
  // and optional target link-layer address. No entry: kIgnored (an
  // unsolicited advertisement creates nothing). INCOMPLETE: recorded
  // (REACHABLE if solicited, else STALE) when it carries an address.
  // Otherwise: with O clear and a different address, REACHABLE becomes
  // STALE and the address is kept; else the address is taken and a
  // solicited one confirms (REACHABLE), an unsolicited changed one STALEs.
  LearnResult advert(uint16_t ifindex, const IpAddr& addr, std::optional<MacAddr> tlla,
                     bool solicited, bool override_flag, Instant now);

  // Upper-layer reachability confirmation (RFC 4861 §7.3.1), e.g. TCP
  // saw new data acknowledged. Moves a valid entry to REACHABLE.
  void confirm(uint16_t ifindex, const IpAddr& addr, Instant now);

  // Static entries (PERMANENT). Replaces a dynamic entry for the address,
  // releasing its queued packets. Returns kNeighCacheFull when no slot.
  std::optional<DropReason> add_static(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                                       Instant now);
  // Delete one entry (queued packets are dropped as kNeighUnresolved).
  bool remove(uint16_t ifindex, const IpAddr& addr);
  // Delete every entry of an interface (interface going away).
  void flush_interface(uint16_t ifindex);

  std::optional<NeighInfo> find(uint16_t ifindex, const IpAddr& addr) const;
  void for_each(const std::function<void(const NeighInfo&)>& fn) const;
  size_t size() const { return map_.size(); }
  size_t capacity() const { return slots_.size(); }

  // The earliest instant on_timer has work (never early by more than a
  // re-armed deadline: a deadline that moved later wakes once, early).
  Instant poll_at() const { return heap_.empty() ? Instant::never() : heap_.front().at; }
  // Packets waiting for resolution across all entries (bounded by NeighbourTimers::pending_total).
  size_t pending_total() const { return pending_total_; }
  void on_timer(Instant now);

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Key {
    uint16_t ifindex;
    IpAddr addr;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept;
  };
  struct Slot {
    Key key{};
    MacAddr mac;
    NeighState state = NeighState::kIncomplete;
    bool used = false;
    uint32_t probes = 0;
    uint32_t gen = 0;                   // bumped when the slot is freed
    Instant deadline = Instant::never();  // when the state's timer is due
    Instant armed = Instant::never();     // deadline of this slot's live heap item
    Instant updated;
    uint32_t prev = kNone, next = kNone;  // evictable list links
    bool on_evict_list = false;
    std::deque<buf::PacketBuf> pending;
  };
  struct Timer {
    Instant at;
    uint32_t slot;
    uint32_t gen;
  };

  uint32_t lookup(const Key& k) const;
  uint32_t allocate(const Key& k, Instant now);  // kNone when full
  void free_slot(uint32_t i);
  void set_state(uint32_t i, NeighState s, Instant now);
  void arm(uint32_t i, Instant at);
  void fire(uint32_t i, Instant now);
  void release_pending(uint32_t i, Instant now);
  size_t pending_total_ = 0;  // packets queued across all entries (bounded by timers_.pending_total)
  void fail_pending(uint32_t i, Instant now);
  void evict_link(uint32_t i);
  void evict_unlink(uint32_t i);
  NeighInfo info(const Slot& s) const;

  stack::NeighbourTimers timers_;
  DropStats& drops_;
  Events& events_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::unordered_map<Key, uint32_t, KeyHash> map_;
  uint32_t evict_head_ = kNone, evict_tail_ = kNone;
  std::vector<Timer> heap_;  // min-heap on `at`
};

}  // namespace stackd::l2
