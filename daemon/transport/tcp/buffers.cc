// Ring storage on demand (buffer_pool.h). A connection borrows its send ring
// at the first send() and its receive ring at the first in-window payload,
// and gives each back as soon as it holds nothing: an idle connection, of
// which a server may have hundreds of thousands, costs its TCB only.
//
// Ring offsets are sequence numbers: a detached ring keeps its offsets, so
// the send ring attached later starts at its old tail (= snd.una once all
// was acknowledged) and the receive ring at rcv.nxt; the TCP code above sees
// one continuous ring.
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
  if (t.snd_ring.is_valid() && t.snd_ring.empty()) {
    const uint32_t at = t.snd_ring.tail();
    buffers_.release(t.snd_ring.storage());
    t.snd_ring = buf::ByteRing(std::span<uint8_t>{}, at);
  }
  // Out-of-order islands live in the ring past its tail: keep it for them.
  if (t.rcv_ring.is_valid() && t.rcv_ring.empty() && t.rx_ranges.empty()) {
    const uint32_t at = t.rcv_ring.tail();
    buffers_.release(t.rcv_ring.storage());
    t.rcv_ring = buf::ByteRing(std::span<uint8_t>{}, at);
  }
}

void TcpLayer::release_buffers(Tcb& t) {
  for (buf::ByteRing* r : {&t.snd_ring, &t.rcv_ring}) {
    if (!r->is_valid()) continue;
    const uint32_t at = r->tail();
    buffers_.release(r->storage());
    *r = buf::ByteRing(std::span<uint8_t>{}, at);
  }
}

uint32_t TcpLayer::snd_space(const Tcb& t) const {
  return t.snd_ring.is_valid() ? t.snd_ring.free_space() : cfg_.snd_buf;
}

uint32_t TcpLayer::rcv_space(const Tcb& t) const {
  return t.rcv_ring.is_valid() ? t.rcv_ring.free_space() : cfg_.rcv_buf;
}

}  // namespace stackd::tcp
