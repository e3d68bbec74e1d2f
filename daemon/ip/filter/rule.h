// Firewall rules, nftables-like: a Match (every field optional; all set
// fields must hold), an Action (accept, drop, reject, or continue for a
// rule that only counts and/or logs, as nft's `counter` / `log` statements
// without a verdict), an optional rate-limited log, and a stable 64-bit
// handle. Chains `input` and `output` hold rules in order with a policy.
//
//   nft: tcp dport 22 ct state new accept
//   Rule r; r.match.proto = 6; r.match.dport = {22, 22};
//   r.match.ct_states = ct_bit(CtState::kNew); r.action = Action::kAccept;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/addr.h"
#include "ip/filter/packet_meta.h"

namespace stackd::ip::filter {

// Conntrack state of a packet (nft `ct state`). kUntracked when
// connection tracking did not run for it.
enum class CtState : uint8_t { kNew, kEstablished, kRelated, kInvalid, kUntracked };
constexpr uint8_t ct_bit(CtState s) { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }

enum class Hook : uint8_t { kInput, kOutput };
inline constexpr int kHookCount = 2;

enum class Action : uint8_t {
  kContinue,  // no verdict: count (and log), then the next rule
  kAccept,
  kDrop,
  kReject,  // TCP: RST; anything else: ICMP port unreachable
};

struct PortRange {
  uint16_t lo = 0, hi = 65535;
  bool contains(uint16_t p) const { return p >= lo && p <= hi; }
  bool exact() const { return lo == hi; }
  bool operator==(const PortRange&) const = default;
};

struct Match {
  uint16_t iif = 0;         // 0: any
  uint16_t oif = 0;         // 0: any
  uint8_t ip_version = 0;   // 0: any, else 4 or 6
  int16_t proto = -1;       // -1: any, else the IP protocol number
  std::optional<IpPrefix> src, dst;   // family-agnostic; a family mismatch never matches
  std::optional<PortRange> sport, dport;  // need proto TCP or UDP
  uint8_t tcp_flags_mask = 0;   // tcp flags & mask == value (need proto TCP)
  uint8_t tcp_flags_value = 0;
  int16_t icmp_type = -1, icmp_code = -1;  // -1: any (need proto ICMP)
  uint8_t ct_states = 0;  // set of ct_bit(); 0: any (then conntrack is not needed)

  bool matches(const PacketMeta& m, CtState ct) const;
};

// nft `log prefix "..."`, limited by a per-rule token bucket.
struct LogSpec {
  std::string prefix;          // at most kMaxPrefix bytes are kept in records
  uint32_t rate_per_sec = 5;   // sustained records per second
  uint32_t burst = 10;         // bucket depth
  static constexpr size_t kMaxPrefix = 31;
};

struct Rule {
  uint64_t handle = 0;  // 0 in a request: the filter assigns one
  Match match;
  Action action = Action::kAccept;
  bool log = false;
  LogSpec log_spec;
  std::string comment;
};

struct Chain {
  Action policy = Action::kAccept;  // kAccept or kDrop
  std::vector<Rule> rules;
};

struct Ruleset {
  Chain input, output;
  Chain& chain(Hook h) { return h == Hook::kInput ? input : output; }
  const Chain& chain(Hook h) const { return h == Hook::kInput ? input : output; }
};

// Why a rule cannot be installed (empty: it can). Port, flag and ICMP
// matches name their protocol, as nft's `tcp dport` does.
std::optional<std::string> validate(const Rule& r);
std::optional<std::string> validate(const Chain& c);

}  // namespace stackd::ip::filter
