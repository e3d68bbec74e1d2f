// Filter: the firewall the IP layer calls at its input and output hooks.
// It owns the editable Ruleset (control plane side), the CompiledRuleset
// the hooks evaluate, connection tracking and the log ring.
//
// Every edit (append, insert, delete, policy, replace) validates, builds a
// whole new CompiledRuleset and swaps one unique_ptr, so a packet sees the
// old rules or the new ones, never half (DESIGN.md: snapshots swapped in
// between bursts). Per-rule counters follow their rule by handle across
// edits. compile() + install() split the work for a control thread that
// builds the snapshot off the worker and has the worker only swap it.
//
// When nothing is installed (no rules, accept policies) and conntrack is
// not forced on, active() is false and the IP layer skips the hooks: the
// cost is one load and one branch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/time.h"
#include "ip/filter/compiled.h"
#include "ip/filter/conntrack.h"
#include "ip/filter/log.h"
#include "ip/filter/packet_meta.h"
#include "ip/filter/rule.h"

namespace stackd::ip::filter {

struct FilterConfig {
  CtConfig ct;
  // Track every packet even when no rule matches on ct state (for
  // `stackctl conn`-style listings of flows); off: only when needed.
  bool always_track = false;
  size_t log_ring = 1024;
};

// A rule as `fw list -a` shows it: the rule with its handle and counters.
struct RuleInfo {
  Rule rule;
  RuleCounters counters;
};

template <class T>
using FwResult = Expected<T, std::string>;

class Filter {
 public:
  explicit Filter(const FilterConfig& cfg = {});

  // --- hooks (dataplane) ---
  bool active() const { return compiled_ != nullptr; }
  Verdict input(const PacketMeta& m, Instant now) { return run(Hook::kInput, m, now); }
  Verdict output(const PacketMeta& m, Instant now) { return run(Hook::kOutput, m, now); }

  // --- rule edits (control plane); the result is the new rule's handle ---
  FwResult<uint64_t> append(Hook h, Rule r);
  // At `position` (0 = first; past the end = append), as `nft insert ... position`.
  FwResult<uint64_t> insert(Hook h, size_t position, Rule r);
  FwResult<uint64_t> insert_before(uint64_t handle, Rule r);
  FwResult<uint64_t> remove(uint64_t handle);  // the handle removed
  FwResult<uint64_t> set_policy(Hook h, Action policy);  // returns 0
  // Replace everything. Rules with handle 0 get fresh handles; given
  // handles are kept (they must be unique) and keep their counters.
  FwResult<uint64_t> replace(Ruleset rs);  // returns the number of rules
  std::vector<RuleInfo> list(Hook h) const;
  const Ruleset& ruleset() const { return rules_; }

  // Build a snapshot without installing it (any thread), then install()
  // it on the worker; install returns the previous one to free elsewhere.
  static FwResult<std::unique_ptr<CompiledRuleset>> compile(const Ruleset& rs);
  std::unique_ptr<CompiledRuleset> install(std::unique_ptr<CompiledRuleset> c);

  Conntrack& conntrack() { return ct_; }
  const Conntrack& conntrack() const { return ct_; }
  LogRing& log() { return log_; }
  const CompiledRuleset* compiled() const { return compiled_.get(); }

  Instant poll_at() const { return tracking() ? ct_.poll_at() : Instant::never(); }
  void on_timer(Instant now) { ct_.on_timer(now); }

 private:
  Verdict run(Hook h, const PacketMeta& m, Instant now);
  bool tracking() const {
    return cfg_.always_track || (compiled_ != nullptr && compiled_->needs_conntrack());
  }
  uint64_t assign_handle(Rule& r);
  FwResult<uint64_t> commit(Ruleset next, uint64_t result);
  bool find(uint64_t handle, Hook* h, size_t* pos) const;

  FilterConfig cfg_;
  Ruleset rules_;
  std::unique_ptr<CompiledRuleset> compiled_;  // null: nothing to do
  Conntrack ct_;
  LogRing log_;
  uint64_t next_handle_ = 1;
};

}  // namespace stackd::ip::filter
