#include "l2/neighbour_cache.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace stackd::l2 {

std::string_view neigh_state_name(NeighState s) {
  switch (s) {
    case NeighState::kIncomplete: return "INCOMPLETE";
    case NeighState::kReachable: return "REACHABLE";
    case NeighState::kStale: return "STALE";
    case NeighState::kDelay: return "DELAY";
    case NeighState::kProbe: return "PROBE";
    case NeighState::kFailed: return "FAILED";
    case NeighState::kPermanent: return "PERMANENT";
  }
  return "unknown";
}

namespace {
bool later(const auto& a, const auto& b) { return a.at > b.at; }  // min-heap order

// States whose link address may be used to send (RFC 4861 §7.3.3).
bool has_valid_mac(NeighState s) {
  return s == NeighState::kReachable || s == NeighState::kStale || s == NeighState::kDelay ||
         s == NeighState::kProbe || s == NeighState::kPermanent;
}
}  // namespace

size_t NeighbourCache::KeyHash::operator()(const Key& k) const noexcept {
  uint64_t h = 0xcbf29ce484222325ull ^ k.ifindex;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  if (k.addr.is_v4()) {
    mix(k.addr.v4().v);
  } else {
    // Two 64-bit words, not 16 bytes: IPv6 resolves once per packet.
    uint64_t hi, lo;
    std::memcpy(&hi, k.addr.v6().b.data(), 8);
    std::memcpy(&lo, k.addr.v6().b.data() + 8, 8);
    mix(hi);
    mix(lo * 0x9e3779b97f4a7c15ull);
    mix(6);
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

NeighbourCache::NeighbourCache(const stack::NeighbourTimers& timers, DropStats& drops,
                               Events& events)
    : timers_(timers), drops_(drops), events_(events), slots_(std::max<uint32_t>(timers.cache_size, 1)) {
  free_.reserve(slots_.size());
  for (uint32_t i = static_cast<uint32_t>(slots_.size()); i > 0; --i) free_.push_back(i - 1);
  map_.reserve(slots_.size());
  heap_.reserve(slots_.size());
}

uint32_t NeighbourCache::lookup(const Key& k) const {
  auto it = map_.find(k);
  return it == map_.end() ? kNone : it->second;
}

// A free slot, or the eviction candidate at the head of the evictable list
// (FAILED first, then the least recently used STALE entry). Busy entries
// (INCOMPLETE, REACHABLE, DELAY, PROBE, PERMANENT) are never evicted.
uint32_t NeighbourCache::allocate(const Key& k, Instant now) {
  if (free_.empty()) {
    if (evict_head_ == kNone) {
      drops_.drop(DropReason::kNeighCacheFull);
      return kNone;
    }
    free_slot(evict_head_);
  }
  uint32_t i = free_.back();
  free_.pop_back();
  Slot& s = slots_[i];
  s.key = k;
  s.used = true;
  s.mac = {};
  s.probes = 0;
  s.updated = now;
  s.state = NeighState::kIncomplete;
  s.deadline = Instant::never();
  map_.emplace(k, i);
  return i;
}

void NeighbourCache::free_slot(uint32_t i) {
  Slot& s = slots_[i];
  evict_unlink(i);
  for (size_t n = s.pending.size(); n > 0; --n) drops_.drop(DropReason::kNeighUnresolved);
  pending_total_ -= s.pending.size();
  s.pending.clear();
  map_.erase(s.key);
  s.used = false;
  ++s.gen;  // its heap items are now ignored
  s.armed = s.deadline = Instant::never();
  free_.push_back(i);
}

void NeighbourCache::evict_link(uint32_t i) {
  Slot& s = slots_[i];
  if (s.on_evict_list) return;
  s.on_evict_list = true;
  if (s.state == NeighState::kFailed) {  // FAILED go first
    s.prev = kNone;
    s.next = evict_head_;
    if (evict_head_ != kNone) slots_[evict_head_].prev = i;
    evict_head_ = i;
    if (evict_tail_ == kNone) evict_tail_ = i;
  } else {  // STALE: least recently used at the front of the STALE run
    s.next = kNone;
    s.prev = evict_tail_;
    if (evict_tail_ != kNone) slots_[evict_tail_].next = i;
    evict_tail_ = i;
    if (evict_head_ == kNone) evict_head_ = i;
  }
}

void NeighbourCache::evict_unlink(uint32_t i) {
  Slot& s = slots_[i];
  if (!s.on_evict_list) return;
  if (s.prev != kNone) slots_[s.prev].next = s.next; else evict_head_ = s.next;
  if (s.next != kNone) slots_[s.next].prev = s.prev; else evict_tail_ = s.prev;
  s.prev = s.next = kNone;
  s.on_evict_list = false;
}

void NeighbourCache::set_state(uint32_t i, NeighState st, Instant now) {
  Slot& s = slots_[i];
  evict_unlink(i);
  s.state = st;
  s.updated = now;
  s.deadline = Instant::never();
  if (st == NeighState::kStale || st == NeighState::kFailed) evict_link(i);
}

void NeighbourCache::arm(uint32_t i, Instant at) {
  Slot& s = slots_[i];
  s.deadline = at;
  if (at >= s.armed) return;  // the live heap item fires first and re-arms
  s.armed = at;
  heap_.push_back({at, i, s.gen});
  std::push_heap(heap_.begin(), heap_.end(), later<Timer, Timer>);
}

std::optional<MacAddr> NeighbourCache::resolve(uint16_t ifindex, const IpAddr& addr,
                                               buf::PacketBuf& pkt, Instant now) {
  Key k{ifindex, addr};
  uint32_t i = lookup(k);
  if (i != kNone && has_valid_mac(slots_[i].state)) {
    Slot& s = slots_[i];
    if (s.state == NeighState::kStale) {  // RFC 4861 §7.3.3: STALE used -> DELAY
      set_state(i, NeighState::kDelay, now);
      arm(i, now + kDelayFirstProbeTime);
    }
    return s.mac;
  }
  bool start = false;
  if (i == kNone) {
    i = allocate(k, now);
    if (i == kNone) {
      pkt.reset();  // counted by allocate()
      return std::nullopt;
    }
    start = true;
  } else if (slots_[i].state == NeighState::kFailed) {
    start = true;  // new traffic restarts resolution (as Linux does)
  }
  Slot& s = slots_[i];
  if (s.pending.size() >= std::max<uint32_t>(timers_.pending_per_entry, 1)) {
    s.pending.pop_front();  // drop the oldest, as Linux's arp_queue does
    --pending_total_;
    drops_.drop(DropReason::kNeighPendingOverflow);
  }
  if (pending_total_ >= timers_.pending_total) {
    // Every queued packet holds a frame: a flood towards addresses that
    // never answer must not drain the frame pools the rest of the stack
    // needs, so the total across entries is bounded too.
    pkt.reset();
    drops_.drop(DropReason::kNeighPendingOverflow);
  } else {
    s.pending.push_back(std::move(pkt));
    ++pending_total_;
  }
  if (start) {
    // RFC 1122 §2.3.2.1 / RFC 4861 §7.2.2: solicit, retransmit every
    // retrans, give up after max_probes.
    set_state(i, NeighState::kIncomplete, now);
    s.probes = 1;
    arm(i, now + timers_.retrans);
    events_.solicit(ifindex, addr, std::nullopt, now);
  }
  return std::nullopt;
}

LearnResult NeighbourCache::learn(uint16_t ifindex, const IpAddr& addr, const MacAddr& mac,
                                  NeighEvidence evidence, bool may_create, Instant now) {
  Key k{ifindex, addr};
  uint32_t i = lookup(k);
  LearnResult result = LearnResult::kUpdated;
  if (i == kNone) {
    if (!may_create) return LearnResult::kIgnored;
    i = allocate(k, now);
    if (i == kNone) return LearnResult::kCacheFull;
    result = LearnResult::kCreated;
  }
  Slot& s = slots_[i];
  if (s.state == NeighState::kPermanent) return LearnResult::kIgnored;

  bool had_mac = has_valid_mac(s.state);
  bool changed = !had_mac || s.mac != mac;
  s.mac = mac;
  if (evidence == NeighEvidence::kConfirmed) {
    set_state(i, NeighState::kReachable, now);
    arm(i, now + timers_.reachable);
  } else if (changed) {
    // RFC 4861 §7.2.5/7.2.6: unconfirmed or different address -> STALE.
    set_state(i, NeighState::kStale, now);
  }  // same address, only heard: keep the state (Linux neigh_update)
  if (!s.pending.empty()) release_pending(i, now);
  return result;
}

LearnResult NeighbourCache::advert(uint16_t ifindex, const IpAddr& addr,
                                   std::optional<MacAddr> tlla, bool solicited,
                                   bool override_flag, Instant now) {
  uint32_t i = lookup({ifindex, addr});
  if (i == kNone) return LearnResult::kIgnored;  // §7.2.5: silently discarded
  Slot& s = slots_[i];
  if (s.state == NeighState::kPermanent) return LearnResult::kIgnored;
  if (!has_valid_mac(s.state)) {  // INCOMPLETE (or FAILED, resolving anew)
    if (!tlla) return LearnResult::kIgnored;  // §7.2.5: no address to record
    s.mac = *tlla;
    set_state(i, solicited ? NeighState::kReachable : NeighState::kStale, now);
    if (solicited) arm(i, now + timers_.reachable);
  } else {
    const bool differs = tlla && *tlla != s.mac;
    if (!override_flag && differs) {
      // §7.2.5: keep the cached address; a REACHABLE entry becomes STALE.
      if (s.state == NeighState::kReachable) set_state(i, NeighState::kStale, now);
      return LearnResult::kUpdated;
    }
    if (tlla) s.mac = *tlla;
    if (solicited) {
      set_state(i, NeighState::kReachable, now);
      arm(i, now + timers_.reachable);
    } else if (differs) {
      set_state(i, NeighState::kStale, now);
    }
  }
  if (!s.pending.empty()) release_pending(i, now);
  return LearnResult::kUpdated;
}

void NeighbourCache::confirm(uint16_t ifindex, const IpAddr& addr, Instant now) {
  uint32_t i = lookup({ifindex, addr});
  if (i == kNone) return;
  NeighState st = slots_[i].state;
  if (st == NeighState::kPermanent || !has_valid_mac(st)) return;
  set_state(i, NeighState::kReachable, now);
  arm(i, now + timers_.reachable);
}

std::optional<DropReason> NeighbourCache::add_static(uint16_t ifindex, const IpAddr& addr,
                                                     const MacAddr& mac, Instant now) {
  Key k{ifindex, addr};
  uint32_t i = lookup(k);
  if (i == kNone) i = allocate(k, now);
  if (i == kNone) return DropReason::kNeighCacheFull;
  slots_[i].mac = mac;
  set_state(i, NeighState::kPermanent, now);
  if (!slots_[i].pending.empty()) release_pending(i, now);
  return std::nullopt;
}

bool NeighbourCache::remove(uint16_t ifindex, const IpAddr& addr) {
  uint32_t i = lookup({ifindex, addr});
  if (i == kNone) return false;
  free_slot(i);
  return true;
}

void NeighbourCache::flush_interface(uint16_t ifindex) {
  for (uint32_t i = 0; i < slots_.size(); ++i)  // control path, not per packet
    if (slots_[i].used && slots_[i].key.ifindex == ifindex) free_slot(i);
}

void NeighbourCache::release_pending(uint32_t i, Instant now) {
  Slot& s = slots_[i];
  std::vector<buf::PacketBuf> out;
  out.reserve(s.pending.size());
  for (auto& p : s.pending) out.push_back(std::move(p));
  pending_total_ -= s.pending.size();
  s.pending.clear();
  Key k = s.key;
  MacAddr mac = s.mac;
  events_.resolved(k.ifindex, k.addr, mac, out, now);  // last: may re-enter the cache
}

void NeighbourCache::fail_pending(uint32_t i, Instant now) {
  Slot& s = slots_[i];
  if (s.pending.empty()) return;
  std::vector<buf::PacketBuf> out;
  out.reserve(s.pending.size());
  for (auto& p : s.pending) out.push_back(std::move(p));
  pending_total_ -= s.pending.size();
  s.pending.clear();
  for (size_t n = out.size(); n > 0; --n) drops_.drop(DropReason::kNeighUnresolved);
  Key k = s.key;
  events_.unresolved(k.ifindex, k.addr, out, now);  // last: may re-enter the cache
}

void NeighbourCache::fire(uint32_t i, Instant now) {
  Slot& s = slots_[i];
  switch (s.state) {
    case NeighState::kIncomplete:
    case NeighState::kProbe:
      if (s.probes >= timers_.max_probes) {
        set_state(i, NeighState::kFailed, now);
        fail_pending(i, now);
        return;
      }
      ++s.probes;
      arm(i, now + timers_.retrans);
      events_.solicit(s.key.ifindex, s.key.addr,
                      s.state == NeighState::kProbe ? std::optional<MacAddr>(s.mac) : std::nullopt,
                      now);
      return;
    case NeighState::kReachable:  // RFC 4861 §7.3.3: ReachableTime passed
      set_state(i, NeighState::kStale, now);
      return;
    case NeighState::kDelay: {  // RFC 4861 §7.3.3: DELAY_FIRST_PROBE_TIME passed
      set_state(i, NeighState::kProbe, now);
      s.probes = 1;
      arm(i, now + timers_.retrans);
      MacAddr mac = s.mac;
      events_.solicit(s.key.ifindex, s.key.addr, mac, now);
      return;
    }
    case NeighState::kStale:
    case NeighState::kFailed:
    case NeighState::kPermanent:
      return;
  }
}

void NeighbourCache::on_timer(Instant now) {
  while (!heap_.empty() && heap_.front().at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later<Timer, Timer>);
    Timer t = heap_.back();
    heap_.pop_back();
    Slot& s = slots_[t.slot];
    if (!s.used || s.gen != t.gen || s.armed != t.at) continue;  // superseded
    s.armed = Instant::never();
    if (s.deadline.is_never()) continue;
    if (s.deadline > now) {  // the deadline moved later: re-arm there
      arm(t.slot, s.deadline);
      continue;
    }
    s.deadline = Instant::never();
    fire(t.slot, now);
  }
}

NeighInfo NeighbourCache::info(const Slot& s) const {
  return {s.key.ifindex, s.key.addr, s.mac, s.state, s.probes, s.pending.size(), s.updated};
}

std::optional<NeighInfo> NeighbourCache::find(uint16_t ifindex, const IpAddr& addr) const {
  uint32_t i = lookup({ifindex, addr});
  if (i == kNone) return std::nullopt;
  return info(slots_[i]);
}

void NeighbourCache::for_each(const std::function<void(const NeighInfo&)>& fn) const {
  for (const auto& [k, i] : map_) fn(info(slots_[i]));
}

}  // namespace stackd::l2
