#include "session/session_table.h"

#include <algorithm>

namespace stackd::session {

SessionTable::SessionTable(tcp::TcpLayer& tcp, transport::UdpLayer& udp) : tcp_(tcp), udp_(udp), raw_(udp.ip()) {}

SessionTable::~SessionTable() {
  // At shutdown: close as at a client's exit.
  for (auto& c : clients_) c->reclaim(tcp_.last_now());
  clients_.clear();
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

size_t SessionTable::orphans() const {
  size_t n = 0;
  tcp_.for_each_tcb([&](const tcp::Tcb& t) {
    if (t.owner == kOwnerTag && t.user_closed && !t.snd_ring.empty()) ++n;
  });
  return n;
}

size_t SessionTable::segment_bytes() const {
  size_t n = 0;
  for (const auto& c : clients_) n += c->segment_bytes();
  return n;
}

}  // namespace stackd::session
