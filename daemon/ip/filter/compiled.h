// A chain compiled for matching. First-match semantics are those of the
// rule list (nftables: rules in order, `continue` rules count/log and go
// on, the first accept/drop/reject decides, else the policy), but the cost
// does not grow with the number of rules for the common cases:
//
//   exact    rules with protocol TCP or UDP and one destination port
//            (`tcp dport 22 ...`), in an open-addressed hash table keyed by
//            (protocol, port), each bucket a sorted list of rule indices;
//   by proto rules with a protocol but no single destination port (port
//            ranges, `icmp type ...`, `tcp flags ...`), a sorted list per
//            protocol number;
//   source   rules with a source prefix (other than /0) and no single
//            destination port (`ip saddr 192.0.2.0/24 drop`, block lists),
//            in a PrefixIndex: one hash probe per prefix length in use;
//   general  rules with no protocol (prefix, interface, ct state only).
//
// A packet can only match rules from its own (proto, dport) bucket, its
// protocol's list, the source lists of the prefixes containing its source
// and the general list, so evaluate() merges those sorted lists by rule
// index and runs Match::matches() on each candidate
// in index order: the same rules are tried in the same order as a linear
// scan would try the rules that can match, hence the same verdict and the
// same counters (tests/unit/filter/compiled_test.cc checks this against
// LinearChain on randomized rulesets). With hundreds of `dport N` rules a
// packet touches one bucket of a few rules.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/drop_reason.h"
#include "base/time.h"
#include "ip/filter/log.h"
#include "ip/filter/prefix_index.h"
#include "ip/filter/packet_meta.h"
#include "ip/filter/rule.h"

namespace stackd::ip::filter {

// What the IP layer must do with a packet. The firewall builds nothing:
// for a reject the IP layer sends the ICMP error or asks TCP for a RST.
struct Verdict {
  enum class Kind : uint8_t {
    kAccept,
    kDrop,          // silently, counted under `reason`
    kRejectIcmp,    // drop + ICMP destination unreachable, port (RFC 792)
    kRejectTcpRst,  // drop + TCP RST (RFC 9293 §3.10.7.1 reset generation)
  };
  Kind kind = Kind::kAccept;
  DropReason reason = DropReason::kCount;  // kCount when accepted
  uint64_t handle = 0;                     // the deciding rule; 0: chain policy
  bool accepted() const { return kind == Kind::kAccept; }
  static Verdict accept(uint64_t h = 0) { return {Kind::kAccept, DropReason::kCount, h}; }
  static Verdict drop(DropReason r, uint64_t h = 0) { return {Kind::kDrop, r, h}; }
};

struct RuleCounters {
  uint64_t packets = 0, bytes = 0;
  bool operator==(const RuleCounters&) const = default;
};

// What a rule's evaluation needs besides the packet.
struct EvalEnv {
  Hook hook = Hook::kInput;
  Instant now;
  LogRing* log = nullptr;  // null: log records are not kept
};

// The rules of a chain with their runtime state (counters, log buckets),
// evaluated by a linear scan: the reference the compiled form is tested
// against, and the base it builds on.
class LinearChain {
 public:
  explicit LinearChain(const Chain& c);
  Verdict evaluate(const PacketMeta& m, CtState ct, const EvalEnv& env);

  const std::vector<Rule>& rules() const { return rules_; }
  const RuleCounters& counters(size_t i) const { return state_[i].counters; }
  RuleCounters& counters(size_t i) { return state_[i].counters; }
  Action policy() const { return policy_; }
  bool needs_conntrack() const { return needs_ct_; }
  uint64_t policy_packets() const { return policy_packets_; }

 protected:
  // Count and log rule i if it matches; true if it decided (into *v).
  bool try_rule(size_t i, const PacketMeta& m, CtState ct, const EvalEnv& env, Verdict* v);
  Verdict policy_verdict();

  struct State {
    RuleCounters counters;
    TokenBucket log_bucket;
  };
  std::vector<Rule> rules_;
  std::vector<State> state_;
  Action policy_;
  bool needs_ct_ = false;
  uint64_t policy_packets_ = 0;
};

class CompiledChain : public LinearChain {
 public:
  explicit CompiledChain(const Chain& c);
  Verdict evaluate(const PacketMeta& m, CtState ct, const EvalEnv& env);

  // Shape, for tests and `fw list` statistics.
  size_t exact_buckets() const { return exact_used_; }
  size_t general_rules() const { return general_.size(); }
  size_t source_prefix_rules() const { return src_.rules(); }

 private:
  struct Slot {
    uint32_t key = 0;  // kUsed | proto << 16 | port; 0: empty
    uint32_t begin = 0, end = 0;  // into exact_idx_
  };
  static constexpr uint32_t kUsed = 1u << 31;
  static uint32_t exact_key(uint8_t proto, uint16_t port) {
    return kUsed | uint32_t{proto} << 16 | port;
  }
  const Slot* find(uint32_t key) const;

  std::vector<Slot> slots_;
  uint32_t mask_ = 0;
  size_t exact_used_ = 0;
  std::vector<uint32_t> exact_idx_;
  std::array<uint32_t, 257> proto_begin_{};  // proto_idx_[proto_begin_[p] .. proto_begin_[p+1])
  std::vector<uint32_t> proto_idx_;
  std::vector<uint32_t> general_;
  // Rules with a source prefix (and no exact port): candidates only when
  // the prefix contains the packet's source (block and allow lists).
  PrefixIndex src_;
  std::vector<std::span<const uint32_t>> lists_;  // evaluate()'s scratch
};

// Both chains of a ruleset, compiled; the unit the Filter swaps atomically.
struct CompiledRuleset {
  explicit CompiledRuleset(const Ruleset& rs) : input(rs.input), output(rs.output) {}
  CompiledChain& chain(Hook h) { return h == Hook::kInput ? input : output; }
  const CompiledChain& chain(Hook h) const { return h == Hook::kInput ? input : output; }
  bool needs_conntrack() const { return input.needs_conntrack() || output.needs_conntrack(); }
  bool empty() const {
    return input.rules().empty() && output.rules().empty() &&
           input.policy() == Action::kAccept && output.policy() == Action::kAccept;
  }
  CompiledChain input, output;
};

}  // namespace stackd::ip::filter
