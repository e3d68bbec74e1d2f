// Messages on stackd's attach socket (AF_UNIX, SOCK_SEQPACKET; default
// /run/stackd/stackd.sock). The connection stays open for the client's life:
// its close is how stackd learns the client is gone (exit, crash, kill -9)
// and reclaims everything it owned.
//
//   client                                   stackd
//   connect                        ──►       SO_PEERCRED checked against [attach] allow_uids/gids
//                                  ◄──       Welcome{status 0, geometry} + SCM_RIGHTS[memfd]
//                                  ◄──       or Welcome{status EACCES, message} and close
//   Hello{magic, version}          ──►       (after an admitting Welcome; a mismatch is dropped)
//   Doorbell (1 byte)              ──►       "a channel has requests": stackd serves the channels
//   EventFd{channel} + SCM_RIGHTS[fd] ──►    stackd writes a byte (MSG_DONTWAIT) to fd when a
//                                            socket watched by that channel changes
//
// Why doorbells are datagrams on this socket and not eventfds: an eventfd's
// O_NONBLOCK lives in the open file description the client shares, so a
// hostile client could clear it and fill the counter to make stackd's write
// (or read) block. send/recv with MSG_DONTWAIT never block whatever the
// client does.
//
// Socket fds (the shim's stack sockets are real kernel fds):
//   OpenSocketFd{sock, gen} + SCM_RIGHTS[B] ──►  the client made an AF_UNIX
//                                            SOCK_STREAM socketpair (A, B), keeps A as the
//                                            socket's fd and gives B to stackd
// stackd drives A's readiness through B, so the application's own poll,
// select and epoll (LT, EPOLLET, ONESHOT, several sets) work on A unchanged:
//   - readable: while abi::fd_readable() holds, stackd writes a byte to B
//     when SocketShm::fd_rx_signals is 0 (the first edge) and at each later
//     arrival up to kFdMaxEdges (further EPOLLET edges), counting each byte
//     in fd_rx_signals (compare-and-swap, before writing). When the client
//     finds the rx ring empty it swaps in kFdParking (stackd writes nothing
//     then), reads exactly the bytes counted (waiting for one still being
//     written), stores 0 and looks at the ring again, kicking stackd if it
//     is not empty. So A is readable exactly while bytes wait in the ring:
//     no lost wake-up and no stale byte. A call that tells the program
//     EAGAIN always settles so (even if bytes came meanwhile): the edge
//     the program then waits for is stackd's next byte.
//   - end of stream, or a finished or reset connection, once nothing more
//     will enter the rx ring (stackd holds no bytes the ring could not
//     take: after B is shut no edge byte can be written): shutdown(B,
//     SHUT_WR) (A: POLLIN|POLLRDHUP for good). Not SHUT_RDWR, which would
//     give A POLLHUP as Linux does but look on B like A's last close; so
//     A reports no POLLHUP/POLLERR (the next call returns the error).
//   - writable: A's send buffer (SO_SNDBUF at its minimum) is what POLLOUT
//     reports. When abi::fd_writable() is false (connect in progress, tx
//     ring full) the client fills it (writes to A until EAGAIN), sets
//     fd_tx_clogged and looks again (kicking if writable); stackd empties B
//     when fd_writable() holds and fd_tx_clogged was set.
//   - lifetime: holding A is holding the socket. stackd closes the socket
//     (as Linux's last close(2) does) when B reports hang-up, i.e. when the
//     last copy of A in any process (dup, fork, SCM_RIGHTS) is closed.
// Readiness is never lost (both sides publish, then look again). POLLIN can
// come a few microseconds late (until stackd serves a kick); POLLOUT can be
// reported spuriously for a moment (stackd emptying B while the client
// fills the ring again: the send then fails with EAGAIN and re-fills A).
//
// Claim: for a process that holds A without having made it (exec, fd
// passing), so that nobody can claim a socket whose fd it does not hold:
//   Claim + SCM_RIGHTS[A, R, N]    ──►       R: one end of a fresh SOCK_SEQPACKET reply
//                                            socketpair (the attach socket may be shared by
//                                            forked processes: an answer on it could reach another);
//                                            N (optional): a NETLINK_SOCK_DIAG socket of the
//                                            claimer's network namespace, where its unix sockets
//                                            are (stackd's own may be another: containers, tests)
//   stackd: ipc::unix_peer_inode(A) (sock_diag UNIX_DIAG_PEER, the kernel's
//   word, daemon/ipc/unix_peer.h; asked through N when given, taking only
//   the kernel's answer) must equal fstat(B).st_ino of one of the
//   B ends it holds (an index by inode, daemon/ipc/claim.h); a number or a
//   nonce the client writes proves nothing.
//                                  ◄──  on R (MSG_DONTWAIT): ClaimReply{status, sock, gen, type, domain, state}
//   stackd then closes every fd it received. A message without two or three
//   fds or shorter than ClaimMsg gets no answer (R's close tells the client).
//   - same attachment (exec keeps the attach fd and the segment's memfd
//     open and names them in STACKD_ATTACH, preload/README.md; or a forked
//     process passing fds to another): status 0 and the slot; both
//     processes then share one socket, as Linux and as after fork.
//   - another attachment: the socket's rings are the owner's segment (TCP
//     sends from and receives into them, zero copy), so it can be neither
//     shared with a second segment nor moved while the owner still holds
//     A: status ENOENT (the claimer keeps a bare socketpair end).
//   - A is not the peer of any B stackd holds: status EBADF.
// A forked child needs no claim for what it inherits: it shares its
// parent's attachment (segment and attach socket). Old clients never send
// Claim and an old stackd closes its fds unanswered, so the ABI version
// stays (the client then sees R's end of file and keeps the bare fd).
#pragma once

#include <cstdint>

namespace stackd::abi {

enum class AttachMsg : uint8_t {
  kHello = 1,
  kWelcome = 2,
  kDoorbell = 3,
  kEventFd = 4,
  kOpenSocketFd = 5,  // + SCM_RIGHTS[B]: OpenSocketFdMsg
  kClaim = 6,         // + SCM_RIGHTS[A, R]: ClaimMsg; ClaimReply on R ("Claim" above)
};

struct Hello {
  uint8_t type;  // kHello
  uint8_t pad[3];
  uint32_t magic;
  uint32_t version;
  uint32_t flags;
};

struct Welcome {
  uint8_t type;  // kWelcome
  uint8_t pad[3];
  uint32_t magic;
  uint32_t version;
  int32_t status;  // 0, or a positive errno (EACCES refused, EPROTO version)
  uint32_t client_id;
  uint32_t max_channels, max_sockets, ring_bytes, segment_bytes;
  char message[200];  // for the client to print when status != 0
};

struct EventFdMsg {
  uint8_t type;  // kEventFd
  uint8_t pad[3];
  uint32_t channel;
};

struct OpenSocketFdMsg {
  uint8_t type;  // kOpenSocketFd
  uint8_t pad[3];
  uint32_t sock;
  uint32_t gen;
};

struct ClaimMsg {
  uint8_t type;  // kClaim
  uint8_t pad[3];
  uint32_t flags;  // 0
};

// ClaimReply::state: what the claimer's library keeps per socket besides
// the slot (the rest is stackd's or the fd's own, e.g. O_NONBLOCK).
namespace claim_state {
inline constexpr uint32_t kWasConnected = 1u << 0;  // TCP: connected or connecting once
inline constexpr uint32_t kUdpConnected = 1u << 1;  // UDP: connect(2)ed to a peer
inline constexpr uint32_t kBroadcast = 1u << 2;     // SO_BROADCAST set
}  // namespace claim_state

struct ClaimReply {
  int32_t status;  // 0, or a positive errno: ENOENT another attachment's, EBADF not stackd's
  uint32_t sock, gen;
  int32_t type;    // SOCK_STREAM / SOCK_DGRAM
  int32_t domain;  // AF_INET / AF_INET6
  uint32_t state;  // claim_state bits
};

}  // namespace stackd::abi
