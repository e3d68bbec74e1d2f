// Connection tracking for the firewall's `ct state` matches: TCP, UDP,
// ICMP echo/timestamp and other protocols (generic) flows keyed by their
// 5-tuple, both directions mapping to one entry (the key hashes the two
// endpoints symmetrically). Per packet it answers new / established /
// related / invalid, as Linux nf_conntrack does:
//
//   new          the packet that creates an entry, and further packets in
//                the original direction until a reply is seen
//   established  a reply has been seen (both directions)
//   related      an ICMP error quoting a tracked flow
//   invalid      fits no flow: a TCP segment no state accepts (a SYN-ACK
//                with no SYN, ...), an ICMP echo reply or error about
//                nothing we track
//
// TCP tracking is Linux's state machine without window checks (as with
// nf_conntrack_tcp_be_liberal): SYN -> SYN_SENT, SYN-ACK -> SYN_RECV,
// ACK -> ESTABLISHED, FIN/FIN -> LAST_ACK -> TIME_WAIT, RST -> CLOSE; a
// mid-stream segment with ACK picks the flow up as ESTABLISHED (Linux
// nf_conntrack_tcp_loose=1), so installing a ruleset does not cut flows.
// Timeouts are Linux's defaults (net.netfilter.nf_conntrack_*_timeout),
// configurable.
//
// Memory: a fixed pool of max_entries entries and a bucket array built at
// construction; no allocation per packet. A new flow when the pool is full
// first reclaims expired entries near the sweep cursor, else it is dropped
// (kConntrackFull, counted). Expiry is lazy on lookup plus on_timer(): a
// sweep of the whole pool once per sweep_interval (poll_at()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/drop_reason.h"
#include "base/time.h"
#include "ip/filter/packet_meta.h"
#include "ip/filter/rule.h"

namespace stackd::ip::filter {

struct CtConfig {
  uint32_t max_entries = 65536;  // Linux nf_conntrack_max scale
  // net.netfilter.nf_conntrack_tcp_timeout_*
  Duration tcp_syn_sent = Duration::seconds(120);
  Duration tcp_syn_recv = Duration::seconds(60);
  Duration tcp_established = Duration::seconds(432000);  // 5 days
  Duration tcp_fin_wait = Duration::seconds(120);
  Duration tcp_close_wait = Duration::seconds(60);
  Duration tcp_last_ack = Duration::seconds(30);
  Duration tcp_time_wait = Duration::seconds(120);
  Duration tcp_close = Duration::seconds(10);
  Duration udp = Duration::seconds(30);          // nf_conntrack_udp_timeout
  Duration udp_stream = Duration::seconds(120);  // nf_conntrack_udp_timeout_stream
  Duration icmp = Duration::seconds(30);         // nf_conntrack_icmp_timeout
  Duration generic = Duration::seconds(600);     // nf_conntrack_generic_timeout
  Duration sweep_interval = Duration::seconds(1);
  bool tcp_loose = true;  // nf_conntrack_tcp_loose
};

enum class TcpCt : uint8_t {
  kNone, kSynSent, kSynRecv, kEstablished, kFinWait, kCloseWait, kLastAck, kTimeWait, kClose
};

// The original-direction tuple of a flow.
struct CtTuple {
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;  // ICMP queries: id, id; other protocols: 0
  uint8_t proto = 0;
};

struct CtResult {
  CtState state = CtState::kUntracked;
  DropReason drop = DropReason::kCount;  // kConntrackFull: drop the packet
  uint32_t entry = UINT32_MAX;           // the flow's entry, if any
  bool created = false;                  // this packet created it
};

struct CtEntryInfo {
  CtTuple orig;
  TcpCt tcp = TcpCt::kNone;
  bool seen_reply = false;
  Instant expires;
};

class Conntrack {
 public:
  explicit Conntrack(const CtConfig& cfg);

  // Classify `m` and update its flow.
  CtResult track(const PacketMeta& m, Instant now);
  // Forget an entry this packet created (the packet was dropped: Linux
  // frees unconfirmed entries, so a dropped SYN flood fills nothing).
  void abort(uint32_t entry);

  std::optional<CtEntryInfo> find(const CtTuple& t, Instant now) const;
  size_t size() const { return used_; }
  size_t capacity() const { return entries_.size(); }
  uint64_t full_drops() const { return full_drops_; }

  Instant poll_at() const { return used_ == 0 ? Instant::never() : next_sweep_; }
  void on_timer(Instant now);
  const CtConfig& config() const { return cfg_; }

 private:
  struct Endpoint {
    std::array<uint8_t, 16> addr{};
    uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
  };
  struct Key {
    Endpoint a, b;  // a: original source
    uint8_t proto = 0;
    uint8_t family = 4;
  };
  struct Entry {
    Key key;
    Instant expires;
    uint32_t next = kNil;  // bucket chain, or free list
    TcpCt tcp = TcpCt::kNone;
    uint8_t fins = 0;  // bit 0: FIN seen from the original side, bit 1: reply side
    bool seen_reply = false;
    bool used = false;
  };
  static constexpr uint32_t kNil = UINT32_MAX;

  static Endpoint endpoint(const IpAddr& a, uint16_t port);
  static Key make_key(const IpAddr& src, const IpAddr& dst, uint16_t sp, uint16_t dp,
                      uint8_t proto);
  uint32_t bucket(const Key& k) const;
  // Entry index and direction (reply = true when k is the reverse), or kNil.
  uint32_t lookup(const Key& k, bool* reply) const;
  uint32_t insert(const Key& k, Instant now);
  void remove(uint32_t idx);
  bool reclaim(Instant now, size_t budget);

  CtResult track_tcp(const Key& k, uint8_t flags, Instant now);
  CtResult track_icmp(const PacketMeta& m, Instant now);
  CtResult track_simple(const Key& k, Duration unreplied, Duration replied, Instant now);
  CtResult existing(uint32_t idx, bool reply);
  Duration tcp_timeout(TcpCt s) const;

  CtConfig cfg_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> buckets_;
  uint32_t bucket_mask_ = 0;
  uint32_t free_ = kNil;
  size_t used_ = 0;
  size_t cursor_ = 0;
  uint64_t full_drops_ = 0;
  Instant next_sweep_ = Instant::never();
};

}  // namespace stackd::ip::filter
