// Ring storage on demand (buffer_pool.h). A connection borrows its send ring
// at the first send() and its receive ring at the first in-window payload,
// and gives each back as soon as it holds nothing: an idle connection, of
// which a server may have hundreds of thousands, costs its TCB only.
//
// Ring offsets are sequence numbers: a detached ring keeps its offsets, so
// the send ring attached later starts at its old tail (= snd.una once all
// was acknowledged) and the receive ring at rcv.nxt; the TCP code above sees
// one continuous ring.
//
// External storage (the session's client sockets): the owner hands TCP the
// storage of its own rings, so TCP sends straight out of the client's
// transmit ring and receives straight into its receive ring, no copy in
// between. The ring *contents* are then writable by an untrusted client at
// any time: they are only ever payload (copied into a frame, checksummed
// there). The ring *offsets* stay TCP's own, moved only by commit_send()
// and consume_recv() with lengths the owner validated and TCP clamps again.
// When the owner lets go (close), internalize_rings() copies what TCP still
// needs into pool storage, so nothing outlives the owner's memory.
#include <cstring>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

bool TcpLayer::attach_snd_ring(Tcb& t) {
  if (t.snd_ring.is_valid()) return true;
  std::span<uint8_t> chunk = buffers_.acquire(cfg_.snd_buf);
  if (chunk.empty()) return false;
  t.snd_ring = buf::ByteRing(chunk, t.snd_ring.tail());
  return true;
}

bool TcpLayer::attach_rcv_ring(Tcb& t) {
  if (t.rcv_ring.is_valid()) return true;
  std::span<uint8_t> chunk = buffers_.acquire(cfg_.rcv_buf);
  if (chunk.empty()) return false;
  t.rcv_ring = buf::ByteRing(chunk, t.rcv.nxt.raw());
  return true;
}

void TcpLayer::release_idle_buffers(Tcb& t) {
  if (t.snd_ring.is_valid() && !t.snd_external && t.snd_ring.empty()) {
    const uint32_t at = t.snd_ring.tail();
    buffers_.release(t.snd_ring.storage());
    t.snd_ring = buf::ByteRing(std::span<uint8_t>{}, at);
  }
  // Out-of-order islands live in the ring past its tail: keep it for them.
  if (t.rcv_ring.is_valid() && !t.rcv_external && t.rcv_ring.empty() && t.rx_ranges.empty()) {
    const uint32_t at = t.rcv_ring.tail();
    buffers_.release(t.rcv_ring.storage());
    t.rcv_ring = buf::ByteRing(std::span<uint8_t>{}, at);
  }
}

void TcpLayer::release_buffers(Tcb& t) {
  for (auto [r, external] : {std::pair{&t.snd_ring, &t.snd_external}, {&t.rcv_ring, &t.rcv_external}}) {
    if (!r->is_valid()) continue;
    const uint32_t at = r->tail();
    if (!*external) buffers_.release(r->storage());  // the owner's storage is not ours to give
    *r = buf::ByteRing(std::span<uint8_t>{}, at);
    *external = false;
  }
}

bool TcpLayer::attach_send_storage(Tcb& t, std::span<uint8_t> storage, uint32_t at) {
  if (t.snd_external || !t.snd_ring.empty()) return false;  // bytes of ours are queued
  const uint32_t tail = t.snd_ring.tail();
  buf::ByteRing r(storage, buf::ByteRingIndex{tail, tail}, tail - at);
  if (!r.is_valid()) return false;
  release_buffers_of(t.snd_ring);
  t.snd_ring = r;
  t.snd_external = true;
  return true;
}

bool TcpLayer::attach_recv_storage(Tcb& t, std::span<uint8_t> storage, buf::ByteRingIndex at) {
  if (t.rcv_external || !t.rcv_ring.empty() || !t.rx_ranges.empty()) return false;
  buf::ByteRing r(storage, at);
  if (!r.is_valid()) return false;
  release_buffers_of(t.rcv_ring);
  t.rcv_ring = r;
  t.rcv_external = true;
  return true;
}

void TcpLayer::release_buffers_of(buf::ByteRing& r) {
  if (r.is_valid()) buffers_.release(r.storage());
  r = buf::ByteRing(std::span<uint8_t>{}, r.tail());
}

bool TcpLayer::internalize_rings(Tcb& t) {
  // Send: unacknowledged and queued bytes. Receive: unread bytes and
  // out-of-order islands past the tail.
  const bool keep[2] = {!t.snd_ring.empty(), !t.rcv_ring.empty() || !t.rx_ranges.empty()};
  bool* external[2] = {&t.snd_external, &t.rcv_external};
  buf::ByteRing* ring[2] = {&t.snd_ring, &t.rcv_ring};
  for (int k = 0; k < 2; ++k) {
    if (!*external[k]) continue;
    buf::ByteRing& r = *ring[k];
    if (!keep[k]) {
      r = buf::ByteRing(std::span<uint8_t>{}, r.tail());
      *external[k] = false;
      continue;
    }
    // The same capacity, layout and offsets: one copy of the whole storage.
    std::span<uint8_t> chunk = buffers_.acquire(r.capacity());
    if (chunk.empty()) return false;
    std::memcpy(chunk.data(), r.storage().data(), chunk.size());
    r = buf::ByteRing(chunk, r.index(), r.origin());
    *external[k] = false;
  }
  return true;
}

uint32_t TcpLayer::snd_space(const Tcb& t) const {
  return t.snd_ring.is_valid() ? t.snd_ring.free_space() : cfg_.snd_buf;
}

uint32_t TcpLayer::rcv_space(const Tcb& t) const {
  return t.rcv_ring.is_valid() ? t.rcv_ring.free_space() : cfg_.rcv_buf;
}

uint32_t TcpLayer::rcv_capacity(const Tcb& t) const {
  return t.rcv_ring.is_valid() ? t.rcv_ring.capacity() : cfg_.rcv_buf;
}

}  // namespace stackd::tcp
