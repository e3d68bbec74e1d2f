#include "ip/filter/compiled.h"

#include <algorithm>
#include <cstring>

#include "wire/ip_proto.h"
#include "wire/tcp.h"

namespace stackd::ip::filter {

LinearChain::LinearChain(const Chain& c)
    : rules_(c.rules), state_(c.rules.size()), policy_(c.policy) {
  for (const Rule& r : rules_)
    if (r.match.ct_states != 0) needs_ct_ = true;
}

bool LinearChain::try_rule(size_t i, const PacketMeta& m, CtState ct, const EvalEnv& env,
                           Verdict* v) {
  const Rule& r = rules_[i];
  if (!r.match.matches(m, ct)) return false;
  State& s = state_[i];
  ++s.counters.packets;
  s.counters.bytes += m.len;
  if (r.log && env.log != nullptr) {
    if (s.log_bucket.take(env.now, r.log_spec.rate_per_sec, r.log_spec.burst)) {
      LogRecord rec;
      rec.at = env.now;
      rec.handle = r.handle;
      rec.hook = env.hook;
      rec.action = r.action;
      rec.ct = ct;
      const size_t n = std::min(r.log_spec.prefix.size(), LogSpec::kMaxPrefix);
      std::memcpy(rec.prefix.data(), r.log_spec.prefix.data(), n);
      rec.pkt = m;
      env.log->push(rec);
    } else {
      env.log->count_suppressed();
    }
  }
  switch (r.action) {
    case Action::kContinue:
      return false;
    case Action::kAccept:
      *v = Verdict::accept(r.handle);
      return true;
    case Action::kDrop:
      *v = Verdict::drop(DropReason::kIpFirewall, r.handle);
      return true;
    case Action::kReject:
      // Never answer a RST with a RST (RFC 9293 §3.10.7.1), nor an ICMP
      // error with an ICMP error (RFC 1122 §3.2.2): those are just dropped.
      if (m.proto == wire::ip_proto::kTcp) {
        const bool rst = m.has_ports && (m.tcp_flags & wire::tcp_flag::kRst) != 0;
        *v = {rst ? Verdict::Kind::kDrop : Verdict::Kind::kRejectTcpRst, DropReason::kFwReject,
              r.handle};
      } else if (is_icmp_error(m)) {
        *v = {Verdict::Kind::kDrop, DropReason::kFwReject, r.handle};
      } else {
        *v = {Verdict::Kind::kRejectIcmp, DropReason::kFwReject, r.handle};
      }
      return true;
  }
  return false;
}

Verdict LinearChain::policy_verdict() {
  ++policy_packets_;
  return policy_ == Action::kDrop ? Verdict::drop(DropReason::kIpFirewall) : Verdict::accept();
}

Verdict LinearChain::evaluate(const PacketMeta& m, CtState ct, const EvalEnv& env) {
  Verdict v;
  for (size_t i = 0; i < rules_.size(); ++i)
    if (try_rule(i, m, ct, env, &v)) return v;
  return policy_verdict();
}

namespace {
bool exact_port_rule(const Match& m) {
  return (m.proto == wire::ip_proto::kTcp || m.proto == wire::ip_proto::kUdp) && m.dport &&
         m.dport->exact();
}
uint32_t hash_key(uint32_t k) { return (k * 0x9e3779b1u) >> 7; }
bool source_prefix_rule(const Match& m) { return m.src && m.src->len != 0; }
}  // namespace

CompiledChain::CompiledChain(const Chain& c) : LinearChain(c) {
  // Distinct exact keys -> table size (power of two, load <= 1/2).
  std::vector<std::pair<uint32_t, uint32_t>> exact;  // (key, rule index), index-sorted
  std::vector<std::pair<IpPrefix, uint32_t>> by_src;  // index-sorted
  std::array<uint32_t, 256> per_proto{};
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const Match& m = rules_[i].match;
    if (exact_port_rule(m)) {
      exact.emplace_back(exact_key(static_cast<uint8_t>(m.proto), m.dport->lo), i);
    } else if (source_prefix_rule(m)) {
      by_src.emplace_back(*m.src, i);
    } else if (m.proto >= 0) {
      ++per_proto[static_cast<size_t>(m.proto)];
    } else {
      general_.push_back(i);
    }
  }
  // Per-protocol lists laid out back to back, each in index order.
  proto_begin_[0] = 0;
  for (size_t p = 0; p < 256; ++p) proto_begin_[p + 1] = proto_begin_[p] + per_proto[p];
  proto_idx_.resize(proto_begin_[256]);
  std::array<uint32_t, 256> fill{};
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const Match& m = rules_[i].match;
    if (!exact_port_rule(m) && !source_prefix_rule(m) && m.proto >= 0) {
      const auto p = static_cast<size_t>(m.proto);
      proto_idx_[proto_begin_[p] + fill[p]++] = i;
    }
  }
  src_.build(by_src);
  lists_.resize(3 + src_.max_lists());
  // Exact buckets: stable sort by key keeps each bucket in index order.
  std::stable_sort(exact.begin(), exact.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t distinct = 0;
  for (size_t i = 0; i < exact.size(); ++i)
    if (i == 0 || exact[i].first != exact[i - 1].first) ++distinct;
  size_t size = 8;
  while (size < distinct * 2) size *= 2;
  slots_.assign(size, Slot{});
  mask_ = static_cast<uint32_t>(size - 1);
  exact_idx_.reserve(exact.size());
  for (size_t i = 0; i < exact.size();) {
    const uint32_t key = exact[i].first;
    Slot s{key, static_cast<uint32_t>(exact_idx_.size()), 0};
    for (; i < exact.size() && exact[i].first == key; ++i) exact_idx_.push_back(exact[i].second);
    s.end = static_cast<uint32_t>(exact_idx_.size());
    uint32_t h = hash_key(key) & mask_;
    while (slots_[h].key != 0) h = (h + 1) & mask_;  // linear probing
    slots_[h] = s;
    ++exact_used_;
  }
}

const CompiledChain::Slot* CompiledChain::find(uint32_t key) const {
  for (uint32_t h = hash_key(key) & mask_;; h = (h + 1) & mask_) {
    const Slot& s = slots_[h];
    if (s.key == key) return &s;
    if (s.key == 0) return nullptr;
  }
}

Verdict CompiledChain::evaluate(const PacketMeta& m, CtState ct, const EvalEnv& env) {
  // The candidate lists, each sorted by rule index, disjoint.
  size_t n = 0;
  if (m.has_ports && exact_used_ != 0) {
    if (const Slot* s = find(exact_key(m.proto, m.dport)))
      lists_[n++] = {exact_idx_.data() + s->begin, exact_idx_.data() + s->end};
  }
  if (proto_begin_[m.proto] != proto_begin_[m.proto + 1])
    lists_[n++] = {proto_idx_.data() + proto_begin_[m.proto], proto_idx_.data() + proto_begin_[m.proto + 1]};
  if (!general_.empty()) lists_[n++] = general_;
  n += src_.lookup(m.src, std::span(lists_).subspan(n));
  Verdict v;
  for (;;) {
    // The lowest index at the lists' heads (a handful of lists: a scan).
    size_t best = n;
    for (size_t k = 0; k < n; ++k)
      if (!lists_[k].empty() && (best == n || lists_[k].front() < lists_[best].front())) best = k;
    if (best == n) break;
    const uint32_t i = lists_[best].front();
    lists_[best] = lists_[best].subspan(1);
    if (try_rule(i, m, ct, env, &v)) return v;
  }
  return policy_verdict();
}

}  // namespace stackd::ip::filter
