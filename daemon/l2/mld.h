// Multicast Listener Discovery, the listener's side (RFC 3810 MLDv2, with
// RFC 3810 §8 compatibility for an MLDv1 querier, RFC 2710): the groups an
// interface listens to are announced to the link's multicast routers and
// MLD-snooping switches, which otherwise may stop forwarding the
// solicited-node multicast our Neighbor Solicitations arrive on.
//
// Groups reported: the solicited-node group of every IPv6 address of the
// interface that is not DUPLICATE (RFC 4291 §2.8); never ff02::1 (RFC 3810
// §6: the all-nodes group is not reported). All in EXCLUDE mode with no
// sources (any-source listening).
//
//   Link::interface_up / address changes -> Mld::sync: a State Change
//     Report (RFC 3810 §6.1: CHANGE_TO_EXCLUDE for joins, CHANGE_TO_INCLUDE
//     {} for leaves) at once, repeated Robustness-1 = 1 more time within
//     the Unsolicited Report Interval (1 s); on_timer re-syncs every second
//     so address edits made elsewhere are reported too.
//   ICMPv6 130 (Icmpv6 -> Link::nd_input -> Mld::input): hop limit 1 and a
//     link-local source (RFC 3810 §5, §6.2) or dropped as kMldInvalid;
//     General Query: one Current State Report (MODE_IS_EXCLUDE) of every
//     group after a random delay in [0, Maximum Response Delay];
//     Multicast-Address-Specific Query: that group's record likewise unless
//     a general response is due sooner (§6.2 rules 1-3). Source-specific
//     queries are answered as address-specific ones (we listen to every
//     source: EXCLUDE {}).
//   MLDv1 query (24 bytes): Older Version Querier Present for 260 s
//     (§8.2.1: Robustness 2 x Query Interval 125 s + Query Response
//     Interval 10 s): reports become MLDv1 Reports to the group, leaves MLDv1
//     Dones to ff02::2.
// Every message: link-local source (:: while none is usable yet, RFC 3590
// §4), hop limit 1, a Hop-by-Hop Router Alert option (RFC 2711, value 0).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "l2/interface.h"
#include "l2/l3_handler.h"
#include "l2/ndp.h"
#include "wire/mld.h"

namespace stackd::l2 {

class Mld {
 public:
  static constexpr Duration kUnsolicitedReportInterval = Duration::seconds(1);  // RFC 3810 §9.11
  static constexpr Duration kOlderVersionQuerierPresent = Duration::seconds(260);  // §9.12
  static constexpr Duration kResync = Duration::seconds(1);

  Mld(Counters& counters, DropStats& drops, Ipv6Sink& sink)
      : counters_(counters), drops_(drops), sink_(sink) {}

  // The interface's groups may have changed: report joins and leaves.
  void sync(Interface& iface, Instant now);
  // An MLD message from IPv6 input (checksum verified).
  void input(Interface& iface, const NdRx& rx, Instant now);

  Instant poll_at() const;
  void on_timer(Instant now);
  void forget(uint16_t ifindex);

  // The groups reported for `iface` (tests, `stackctl`).
  std::vector<Ipv6Addr> groups(uint16_t ifindex) const;

 private:
  struct State {
    Interface* iface = nullptr;
    std::vector<Ipv6Addr> groups;            // what the link was told we listen to
    std::vector<wire::MldRecord> change;     // state change to repeat
    uint8_t change_left = 0;
    Instant change_at = Instant::never();
    Instant general_at = Instant::never();   // Current State Report of all groups
    std::vector<std::pair<Ipv6Addr, Instant>> group_at;  // address-specific responses
    Instant v1_until;                        // MLDv1 querier seen: until then
    uint64_t rng = 0;
  };
  State& state(Interface& iface);
  static std::vector<Ipv6Addr> wanted(const Interface& iface);
  Duration random_delay(State& s, Duration max);
  bool v1(const State& s, Instant now) const { return now < s.v1_until; }
  void send_records(State& s, const std::vector<wire::MldRecord>& recs, Instant now);
  void send_v2(Interface& iface, std::span<const wire::MldRecord> recs, Instant now);
  void send_v1(Interface& iface, uint8_t type, const Ipv6Addr& group, Instant now);
  // An IPv6 packet to `dst` with the Router Alert hop-by-hop header and an
  // ICMPv6 message of `len` bytes that `fill` writes (checksum done here).
  template <typename F>
  void send_packet(Interface& iface, const Ipv6Addr& dst, uint32_t len, F&& fill, Instant now);

  Counters& counters_;
  DropStats& drops_;
  Ipv6Sink& sink_;
  std::vector<State> ifs_;
  Instant next_sync_ = Instant::never();
};

}  // namespace stackd::l2
