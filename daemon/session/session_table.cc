#include "session/session_table.h"

#include <algorithm>

namespace stackd::session {

SessionTable::SessionTable(tcp::TcpLayer& tcp, transport::UdpLayer& udp) : tcp_(tcp), udp_(udp) {}

SessionTable::~SessionTable() {
  // At shutdown: close as at a client's exit, then let go of the orphans.
  for (auto& c : clients_) c->reclaim(tcp_.last_now());
  clients_.clear();
  for (auto& o : orphans_) o.sock.close(tcp_.last_now());
}

ClientSockets& SessionTable::attach(SegmentView seg, Wakeups& wakeups) {
  clients_.push_back(std::make_unique<ClientSockets>(*this, seg, wakeups, next_id_++));
  clients_.back()->init_segment();
  return *clients_.back();
}

void SessionTable::detach(ClientSockets& c, Instant now) {
  c.reclaim(now);
  std::erase_if(clients_, [&](const auto& p) { return p.get() == &c; });
}

void SessionTable::bind_tcb(uint32_t tcb, ClientSockets* c, uint32_t slot) {
  if (routes_.size() <= tcb) routes_.resize(tcb + 1);
  routes_[tcb] = Route{c, slot};
  tcp_.tcb(tcb).owner = kOwnerTag;
}

void SessionTable::unbind_tcb(uint32_t tcb) {
  if (tcb < routes_.size()) routes_[tcb] = Route{};
}

void SessionTable::adopt_orphan(tcp::TcpSocket&& sock, std::vector<uint8_t> rest, Instant now) {
  Orphan o{std::move(sock), std::move(rest), 0};
  if (feed_orphan(o, now)) return;
  const uint32_t tcb = o.sock.index();
  orphans_.push_back(std::move(o));
  bind_tcb(tcb, nullptr, static_cast<uint32_t>(orphans_.size() - 1));
}

bool SessionTable::feed_orphan(Orphan& o, Instant now) {
  while (o.off < o.rest.size() && !o.sock.has_error()) {
    const int64_t r = o.sock.send(std::span(o.rest).subspan(o.off), now);
    if (r <= 0) break;
    o.off += static_cast<size_t>(r);
  }
  const bool done = o.off >= o.rest.size() || o.sock.has_error() ||
                    o.sock.state() == tcp::TcpState::kClosed;
  if (!done) return false;
  unbind_tcb(o.sock.index());
  o.sock.close(now);
  return true;
}

size_t SessionTable::poll(Instant now) {
  size_t n = 0;
  std::vector<uint32_t> ev;
  ev.swap(pending_);
  for (uint32_t tcb : ev) {
    if (tcb >= routes_.size()) continue;
    const Route r = routes_[tcb];
    if (r.client != nullptr) {
      r.client->sync(r.slot, now);
      ++n;
    } else if (r.slot < orphans_.size() && orphans_[r.slot].sock.index() == tcb) {
      if (feed_orphan(orphans_[r.slot], now)) {
        // Keep indices stable for the other orphans' routes: swap-remove and re-route.
        const uint32_t i = r.slot;
        if (i + 1 != orphans_.size()) {
          orphans_[i] = std::move(orphans_.back());
          routes_[orphans_[i].sock.index()].slot = i;
        }
        orphans_.pop_back();
      }
      ++n;
    }
  }
  if (pending_.empty()) {
    ev.clear();
    pending_.swap(ev);  // keep the capacity
  }
  for (auto& c : clients_) n += c->poll_udp(now);
  return n;
}

Instant SessionTable::poll_at() const {
  return pending_.empty() ? Instant::never() : Instant::from_nanos(0);
}

size_t SessionTable::sockets() const {
  size_t n = 0;
  for (const auto& c : clients_) n += c->sockets_open();
  return n;
}

size_t SessionTable::segment_bytes() const {
  size_t n = 0;
  for (const auto& c : clients_) n += c->segment_bytes();
  return n;
}

}  // namespace stackd::session
