#include "ip/filter/filter.h"

#include <unordered_map>
#include <unordered_set>

namespace stackd::ip::filter {

Filter::Filter(const FilterConfig& cfg) : cfg_(cfg), ct_(cfg.ct), log_(cfg.log_ring) {
  if (cfg_.always_track) compiled_ = std::make_unique<CompiledRuleset>(rules_);
}

Verdict Filter::run(Hook h, const PacketMeta& m, Instant now) {
  if (compiled_ == nullptr) return Verdict::accept();
  CtState state = CtState::kUntracked;
  CtResult ct;
  if (tracking()) {
    ct = ct_.track(m, now);
    if (ct.drop != DropReason::kCount) return Verdict::drop(ct.drop);
    state = ct.state;
  }
  const Verdict v = compiled_->chain(h).evaluate(m, state, EvalEnv{h, now, &log_});
  if (!v.accepted() && ct.created) ct_.abort(ct.entry);
  return v;
}

uint64_t Filter::assign_handle(Rule& r) {
  if (r.handle == 0) r.handle = next_handle_++;
  if (r.handle >= next_handle_) next_handle_ = r.handle + 1;
  return r.handle;
}

FwResult<std::unique_ptr<CompiledRuleset>> Filter::compile(const Ruleset& rs) {
  std::unordered_set<uint64_t> seen;
  for (Hook h : {Hook::kInput, Hook::kOutput}) {
    if (auto e = validate(rs.chain(h))) return *e;
    for (const Rule& r : rs.chain(h).rules)
      if (r.handle != 0 && !seen.insert(r.handle).second)
        return "duplicate handle " + std::to_string(r.handle);
  }
  return std::make_unique<CompiledRuleset>(rs);
}

std::unique_ptr<CompiledRuleset> Filter::install(std::unique_ptr<CompiledRuleset> c) {
  // Counters follow their rule by handle.
  if (compiled_ && c) {
    for (Hook h : {Hook::kInput, Hook::kOutput}) {
      const CompiledChain& old = compiled_->chain(h);
      std::unordered_map<uint64_t, size_t> at;
      for (size_t i = 0; i < old.rules().size(); ++i) at[old.rules()[i].handle] = i;
      for (Hook nh : {Hook::kInput, Hook::kOutput}) {
        CompiledChain& n = c->chain(nh);
        for (size_t i = 0; i < n.rules().size(); ++i)
          if (auto it = at.find(n.rules()[i].handle); it != at.end())
            n.counters(i) = old.counters(it->second);
      }
    }
  }
  if (c && c->empty() && !cfg_.always_track) c.reset();
  if (!c && cfg_.always_track) c = std::make_unique<CompiledRuleset>(Ruleset{});
  std::swap(c, compiled_);
  return c;
}

FwResult<uint64_t> Filter::commit(Ruleset next, uint64_t result) {
  const uint64_t saved = next_handle_;
  for (Hook h : {Hook::kInput, Hook::kOutput})
    for (Rule& r : next.chain(h).rules) assign_handle(r);
  auto c = compile(next);
  if (!c) {
    next_handle_ = saved;
    return c.error();
  }
  rules_ = std::move(next);
  install(std::move(*c));
  return result;
}

bool Filter::find(uint64_t handle, Hook* h, size_t* pos) const {
  for (Hook x : {Hook::kInput, Hook::kOutput}) {
    const auto& rs = rules_.chain(x).rules;
    for (size_t i = 0; i < rs.size(); ++i)
      if (rs[i].handle == handle) {
        *h = x;
        *pos = i;
        return true;
      }
  }
  return false;
}

FwResult<uint64_t> Filter::append(Hook h, Rule r) {
  return insert(h, SIZE_MAX, std::move(r));
}

FwResult<uint64_t> Filter::insert(Hook h, size_t position, Rule r) {
  if (auto e = validate(r)) return *e;
  r.handle = 0;  // handles are the filter's to give
  const uint64_t handle = assign_handle(r);
  Ruleset next = rules_;
  auto& v = next.chain(h).rules;
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(std::min(position, v.size())), std::move(r));
  return commit(std::move(next), handle);
}

FwResult<uint64_t> Filter::insert_before(uint64_t handle, Rule r) {
  Hook h;
  size_t pos;
  if (!find(handle, &h, &pos)) return "no rule with handle " + std::to_string(handle);
  return insert(h, pos, std::move(r));
}

FwResult<uint64_t> Filter::remove(uint64_t handle) {
  Hook h;
  size_t pos;
  if (!find(handle, &h, &pos)) return "no rule with handle " + std::to_string(handle);
  Ruleset next = rules_;
  auto& v = next.chain(h).rules;
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(pos));
  return commit(std::move(next), handle);
}

FwResult<uint64_t> Filter::set_policy(Hook h, Action policy) {
  Ruleset next = rules_;
  next.chain(h).policy = policy;
  return commit(std::move(next), 0);
}

FwResult<uint64_t> Filter::replace(Ruleset rs) {
  const uint64_t n = rs.input.rules.size() + rs.output.rules.size();
  return commit(std::move(rs), n);
}

std::vector<RuleInfo> Filter::list(Hook h) const {
  std::vector<RuleInfo> out;
  const auto& rs = rules_.chain(h).rules;
  out.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    RuleInfo info{rs[i], {}};
    if (compiled_ && i < compiled_->chain(h).rules().size())
      info.counters = compiled_->chain(h).counters(i);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace stackd::ip::filter
