#include "ip/ipv4.h"

#include "wire/icmpv4.h"
#include "wire/ip_proto.h"

namespace stackd::ip {

namespace {
IcmpRateLimiter::Config rate_config(const stack::IpConfig& c) {
  return {c.icmp_msgs_per_sec, c.icmp_msgs_burst, c.icmp_ratelimit_ms, 4096};
}
ReasmLimits reasm_limits(const stack::IpConfig& c) {
  return {c.reasm_timeout, c.reasm_max_bytes, c.reasm_max_frags};
}
}  // namespace

Ipv4Layer::Ipv4Layer(const stack::IpConfig& cfg, Counters& counters, DropStats& drops,
                     l2::L2Output& l2, Fib& fib, buf::FramePool& tx_pool,
                     buf::HeapPool& heap_pool)
    : cfg_(cfg),
      counters_(counters),
      drops_(drops),
      l2_(l2),
      fib_(fib),
      tx_pool_(tx_pool),
      heap_pool_(heap_pool),
      reasm_(reasm_limits(cfg), heap_pool, counters, drops),
      icmp_(*this, rate_config(cfg), counters, drops) {
  register_protocol(wire::ip_proto::kIcmp, icmp_);
}

void Ipv4Layer::add_interface(l2::Interface& iface) {
  if (ifaces_.size() <= iface.index) ifaces_.resize(iface.index + 1u, nullptr);
  ifaces_[iface.index] = &iface;
  for (const auto& p : iface.addrs)
    if (p.addr.is_v4()) fib_.add_connected(p, iface.index);
}

bool Ipv4Layer::is_local(Ipv4Addr a) const {
  for (const l2::Interface* i : ifaces_)
    if (i != nullptr && i->has_ipv4(a)) return true;
  return false;
}

bool Ipv4Layer::is_subnet_broadcast(Ipv4Addr a) const {
  for (const l2::Interface* i : ifaces_)
    if (i != nullptr && i->is_ipv4_subnet_broadcast(a)) return true;
  return false;
}

buf::FramePool& Ipv4Layer::pool_for(uint16_t ifindex) {
  l2::Interface* i = interface(ifindex);
  return i != nullptr && i->device != nullptr ? i->device->tx_pool() : tx_pool_;
}

buf::FramePool& Ipv4Layer::pool_to(Ipv4Addr dst, uint16_t ifindex) {
  return is_local(dst) ? static_cast<buf::FramePool&>(heap_pool_) : pool_for(ifindex);
}

void Ipv4Layer::poll(Instant now) {
  // Local deliveries queued by output(): only those present now, so a
  // service answering itself cannot loop within one poll.
  for (size_t n = loopback_.size(); n > 0 && !loopback_.empty(); --n) {
    Looped l = std::move(loopback_.front());
    loopback_.pop_front();
    if (l2::Interface* i = interface(l.ifindex))
      ipv4_input(*i, std::move(l.pkt), l2::LinkCast::kUnicast, now);
  }
  reasm_.on_timer(now, [&](const ReasmExpired& e) {
    if (!e.first) return;
    // RFC 792 / RFC 1122 §3.2.1.4: time exceeded, code 1, only when the
    // first fragment arrived (it is what the message quotes).
    Ipv4RxMeta m;
    m.src = e.src.v4();
    m.dst = e.dst.v4();
    m.ifindex = e.ifindex;
    m.quote = e.first->span();
    icmp_.send_time_exceeded(wire::icmpv4_time_exceeded::kFragReassembly, m, now);
  });
}

Instant Ipv4Layer::poll_at() const {
  // A loopback datagram queued is work for the next poll.
  return loopback_.empty() ? reasm_.poll_at() : Instant::from_nanos(0);
}

}  // namespace stackd::ip
