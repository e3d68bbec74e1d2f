#include "ip/ipv6.h"

#include "wire/icmpv6.h"
#include "wire/ip_proto.h"

namespace stackd::ip {

namespace {
IcmpRateLimiter::Config rate_config(const stack::IpConfig& c) {
  return {c.icmp_msgs_per_sec, c.icmp_msgs_burst, c.icmp_ratelimit_ms, 4096};
}
// fe80::/64 (RFC 4291 §2.5.6): on-link on every IPv6 interface.
const IpPrefix kLinkLocalPrefix{*Ipv6Addr::parse("fe80::"), 64};
}  // namespace

Ipv6Layer::Ipv6Layer(const stack::IpConfig& cfg, Counters& counters, DropStats& drops,
                     l2::L2Output& l2, Fib& fib, buf::FramePool& tx_pool,
                     buf::HeapPool& heap_pool)
    : cfg_(cfg),
      counters_(counters),
      drops_(drops),
      l2_(l2),
      fib_(fib),
      tx_pool_(tx_pool),
      heap_pool_(heap_pool),
      reasm_({cfg.reasm_timeout, cfg.reasm_max_bytes, cfg.reasm_max_frags}, heap_pool, counters,
             drops, IpFamily::kV6),
      icmp_(*this, rate_config(cfg), counters, drops) {
  register_protocol(wire::ip_proto::kIcmpv6, icmp_);
}

void Ipv6Layer::add_interface(l2::Interface& iface) {
  if (ifaces_.size() <= iface.index) ifaces_.resize(iface.index + 1u, nullptr);
  ifaces_[iface.index] = &iface;
  if (!iface.ipv6) return;
  // Several interfaces share fe80::/64: the first one added answers when
  // no interface is named (a link-local destination needs a scope).
  fib_.add_connected(kLinkLocalPrefix, iface.index);
  for (const auto& p : iface.addrs)
    if (p.addr.is_v6() && !p.addr.v6().is_link_local()) fib_.add_connected(p, iface.index);
}

bool Ipv6Layer::is_local(const Ipv6Addr& a) const {
  if (a.is_loopback()) return true;
  for (const l2::Interface* i : ifaces_)
    if (i != nullptr && i->has_ipv6(a)) return true;
  return false;
}

buf::FramePool& Ipv6Layer::pool_for(uint16_t ifindex) {
  l2::Interface* i = interface(ifindex);
  return i != nullptr && i->device != nullptr ? i->device->tx_pool() : tx_pool_;
}

buf::FramePool& Ipv6Layer::pool_to(const Ipv6Addr& dst, uint16_t ifindex) {
  return is_local(dst) ? static_cast<buf::FramePool&>(heap_pool_) : pool_for(ifindex);
}

void Ipv6Layer::poll(Instant now) {
  for (size_t n = loopback_.size(); n > 0 && !loopback_.empty(); --n) {
    Looped l = std::move(loopback_.front());
    loopback_.pop_front();
    if (l2::Interface* i = interface(l.ifindex))
      input(*i, std::move(l.pkt), l2::LinkCast::kUnicast, true, now);
  }
  reasm_.on_timer(now, [&](const ReasmExpired& e) {
    if (!e.first) return;
    // RFC 8200 §4.5: time exceeded, code 1, only when the first fragment
    // (offset 0) arrived; it is what the message quotes.
    Ipv6RxMeta m;
    m.src = e.src.v6();
    m.dst = e.dst.v6();
    m.ifindex = e.ifindex;
    m.quote = e.first->span();
    icmp_.send_time_exceeded(1, m, now);
  });
}

Instant Ipv6Layer::poll_at() const {
  return loopback_.empty() ? reasm_.poll_at() : Instant::from_nanos(0);
}

}  // namespace stackd::ip
