// The shared-memory ABI between stackd and its clients (libstackclient, the
// shim): what one client's memfd segment holds and where. Header-only, used
// verbatim by both sides. Version kAbiVersion; any layout change bumps it and
// the attach handshake refuses a mismatch.
//
//   offset 0            SegmentHeader        (daemon writes once, then read-only by contract)
//   channels_off        Channel[max_channels] (request/response rings, one per client thread)
//   sockets_off         SocketShm[max_sockets] (readiness words + ring indices)
//   rings_off           per socket: rx bytes[ring_bytes], tx bytes[ring_bytes]
//
// Rules (DESIGN.md "Client attach and shared memory"):
// - Nothing in the segment is a pointer: every position is an offset from
//   the segment base or a free-running 32-bit ring index masked by a power
//   of two capacity.
// - Every ring is single-producer single-consumer; the producer's index and
//   the consumer's index sit on separate cache lines.
// - The daemon never trusts what it reads back: it keeps its own copy of the
//   geometry and of the indices it writes, masks every index, bounds every
//   length, and copies a request out once before validating it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace stackd::abi {

inline constexpr uint32_t kMagic = 0x444b5453;  // "STKD" little-endian
inline constexpr uint32_t kAbiVersion = 2;  // 2: socket fds (SocketShm::fd_*)
inline constexpr size_t kCacheLine = 64;

// Request/response slots per channel (powers of two).
inline constexpr uint32_t kRequestSlots = 64;
inline constexpr uint32_t kResponseSlots = 16;

struct alignas(kCacheLine) SegmentHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t segment_bytes;
  uint32_t max_channels;
  uint32_t max_sockets;
  uint32_t ring_bytes;  // each direction, per socket; a power of two
  uint32_t channels_off;
  uint32_t sockets_off;
  uint32_t rings_off;
  uint32_t client_id;   // the daemon's number for this client (logs, stackctl)
};

// A ring's two indices, each on its own cache line. `head` is written only by
// the producer, `tail` only by the consumer; both run freely (mod 2^32) and
// are masked by capacity - 1 when used as positions.
struct RingIndices {
  alignas(kCacheLine) std::atomic<uint32_t> head;
  alignas(kCacheLine) std::atomic<uint32_t> tail;
};

// Readiness flags the daemon publishes in SocketShm::flags.
namespace flag {
inline constexpr uint32_t kConnected = 1u << 0;   // TCP synchronized / UDP usable
inline constexpr uint32_t kListening = 1u << 1;
inline constexpr uint32_t kReadEof = 1u << 2;     // no more bytes will arrive (FIN seen)
inline constexpr uint32_t kError = 1u << 3;       // a pending error (SO_ERROR)
inline constexpr uint32_t kHup = 1u << 4;         // both directions finished or reset
inline constexpr uint32_t kRxBlocked = 1u << 5;   // daemon holds data the rx ring could not take
inline constexpr uint32_t kConnecting = 1u << 6;  // SYN-SENT
inline constexpr uint32_t kWriteShut = 1u << 7;   // shutdown(SHUT_WR) done: EPIPE on send
inline constexpr uint32_t kBroken = 1u << 8;      // segment corruption detected: socket unusable
}  // namespace flag

// One socket's shared words. Lines are split by writer.
struct alignas(kCacheLine) SocketShm {
  // -- written by the daemon
  alignas(kCacheLine) std::atomic<uint32_t> seq;  // bumped at every change; the futex word
  std::atomic<uint32_t> flags;
  std::atomic<int32_t> error;                     // errno behind flag::kError (informative)
  // -- written by the client
  alignas(kCacheLine) std::atomic<uint32_t> waiters;  // threads in futex_wait on seq
  std::atomic<uint32_t> kick;                         // 1 = a KICK request is queued
  std::atomic<uint32_t> watch;                        // channel + 1 whose event fd reports this socket; 0 = none
  // Socket fd signalling (abi/attach.h "Socket fds"), written by both sides.
  // fd_rx_signals: bytes stackd wrote (or is writing) to the fd's pair since
  // the client last emptied it; kFdParking while the client empties it.
  // fd_tx_clogged: the client filled the fd's send buffer (1); stackd
  // empties it when the socket is writable and clears the word.
  std::atomic<uint32_t> fd_rx_signals;
  std::atomic<uint32_t> fd_tx_clogged;
  // Client-side locks (0 free, 1 held, 2 held with futex waiters) that keep
  // each ring single-producer/single-consumer across every thread of every
  // process holding the socket (fork: nginx workers accepting on one
  // listener). stackd only zeroes them when it hands out the slot.
  std::atomic<uint32_t> rx_lock, tx_lock, fd_lock;
  RingIndices rx;  // daemon produces, client consumes (bytes, accept records or datagrams)
  RingIndices tx;  // client produces, daemon consumes (bytes or datagrams)
};

inline constexpr uint32_t kFdParking = 0xffffffffu;  // SocketShm::fd_rx_signals: the client is emptying
inline constexpr uint32_t kFdMaxEdges = 8;           // bytes (EPOLLET edges) stackd has in the pair at most

// Socket fd readiness, computed the same way by both sides (abi/attach.h).
// Readable: bytes, accept records or datagrams in the rx ring, or an end /
// error. Writable (POLLOUT): an unconnected socket (as Linux's TCP reports
// for a fresh socket), an error or a finished connection (the call then
// fails at once), or a usable socket with at least a quarter of its tx ring
// free (Linux wakes writers when a third of the send buffer is free).
inline constexpr bool fd_readable(uint32_t flags, uint32_t rx_used) {
  return rx_used != 0 || (flags & (flag::kReadEof | flag::kError | flag::kHup)) != 0;
}
inline constexpr bool fd_writable(uint32_t flags, uint32_t tx_free, uint32_t ring_bytes) {
  if (flags & (flag::kError | flag::kHup | flag::kWriteShut)) return true;
  if (flags & flag::kConnecting) return false;
  if (!(flags & flag::kConnected)) return !(flags & flag::kListening);
  return tx_free >= ring_bytes / 4;
}

// An address as both sides carry it (host byte order port).
struct WireAddr {
  uint16_t family;  // AF_INET / AF_INET6 (Linux values); 0 = none
  uint16_t port;
  uint32_t scope_id;
  uint8_t addr[16];  // IPv4 in the first 4 bytes, network order
};
static_assert(sizeof(WireAddr) == 24);

// Record header in a datagram ring (UDP) and in a listener's accept ring.
// Records start 8-aligned and may wrap around the ring end.
struct RecordHeader {
  uint32_t len;   // payload bytes after the header (datagram); 0 for accept records
  uint32_t sock;  // accept: the new socket's slot; datagram: 0
  uint32_t gen;   // accept: its generation
  uint32_t flags;
  WireAddr addr;  // datagram: peer (rx) or destination (tx); accept: the peer
};
static_assert(sizeof(RecordHeader) == 40);
inline constexpr uint32_t record_size(uint32_t payload) {
  return (static_cast<uint32_t>(sizeof(RecordHeader)) + payload + 7u) & ~7u;
}

// Channel operations.
enum class Op : uint32_t {
  kNone = 0,
  kSocket = 1,       // a0 = type (SOCK_STREAM/SOCK_DGRAM), a1 = domain (AF_INET6; 0 or AF_INET: IPv4); -> sock, gen
  kBind = 2,         // addr
  kListen = 3,       // a0 = backlog
  kConnect = 4,      // addr; TCP: -EINPROGRESS, then flags tell
  kShutdown = 5,     // a0 = how (SHUT_RD/WR/RDWR)
  kClose = 6,
  kSetsockopt = 7,   // a0 = level, a1 = name, a2 = int value, a3 = int value 2, data = string/bytes
  kGetsockopt = 8,   // a0 = level, a1 = name -> val[], data
  kGetName = 9,      // a0 = 0 local / 1 peer -> addr in data
  kKick = 10,        // no response: the socket's tx ring / rx space changed
  kTakeError = 11,   // SO_ERROR, clears it
};

// Requests and responses are fixed-size and copied whole.
struct Request {
  uint32_t op;
  uint32_t tag;   // echoed in the response; 0 = no response wanted
  uint32_t sock;
  uint32_t gen;
  int32_t a[4];
  uint8_t data[32];  // WireAddr (first 24 bytes) or an option's bytes
};
static_assert(sizeof(Request) == 64);

struct Response {
  uint32_t tag;
  int32_t result;  // >= 0 or -errno (Linux values)
  uint32_t sock;
  uint32_t gen;
  int32_t val[4];
  uint8_t data[128];  // WireAddr, option bytes, struct tcp_info
};
static_assert(sizeof(Response) == 160);

// One client thread's channel. `claimed` is a client-side affair (which
// thread owns it); the daemon serves every channel's ring regardless.
struct alignas(kCacheLine) Channel {
  RingIndices req;   // client produces Requests, daemon consumes
  RingIndices resp;  // daemon produces Responses, client consumes; resp.head is the futex word
  alignas(kCacheLine) std::atomic<uint32_t> claimed;   // client: 0 free, else owner tid
  std::atomic<uint32_t> waiters;                       // client: threads waiting on resp.head
  std::atomic<uint32_t> ev_armed;                      // client: 1 = write its event fd on news
  alignas(kCacheLine) Request requests[kRequestSlots];
  Response responses[kResponseSlots];
};

// Geometry of a segment from its parameters (both sides compute it; the
// daemon never reads it back from the segment).
struct Geometry {
  uint32_t max_channels = 0, max_sockets = 0, ring_bytes = 0;
  uint32_t channels_off = 0, sockets_off = 0, rings_off = 0, segment_bytes = 0;
};
inline constexpr size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }
inline constexpr bool is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }
// Returns a geometry with segment_bytes == 0 when the parameters are invalid
// or the segment would not fit in 32-bit offsets.
inline constexpr Geometry make_geometry(uint32_t channels, uint32_t sockets, uint32_t ring_bytes) {
  Geometry g;
  if (channels == 0 || sockets == 0 || !is_pow2(ring_bytes) || ring_bytes < 4096) return g;
  size_t off = align_up(sizeof(SegmentHeader), 4096);
  const size_t ch = off;
  off = align_up(off + size_t{channels} * sizeof(Channel), 4096);
  const size_t so = off;
  off = align_up(off + size_t{sockets} * sizeof(SocketShm), 4096);
  const size_t ro = off;
  off += size_t{sockets} * 2 * ring_bytes;
  if (off > 0xffff'f000u) return g;
  g.max_channels = channels;
  g.max_sockets = sockets;
  g.ring_bytes = ring_bytes;
  g.channels_off = static_cast<uint32_t>(ch);
  g.sockets_off = static_cast<uint32_t>(so);
  g.rings_off = static_cast<uint32_t>(ro);
  g.segment_bytes = static_cast<uint32_t>(off);
  return g;
}

}  // namespace stackd::abi
