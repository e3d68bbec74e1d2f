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
// Reserved for the shim (not implemented yet): Socket fds. A stack socket
// becomes a real kernel fd in the application: stackd creates one object per
// socket (a socketpair end or eventfd it signals for readiness) and passes it
// with SCM_RIGHTS in reply to kOpenSocketFd. Holding the fd is the proof of
// ownership: after fork() or SCM_RIGHTS, a process attaches (its own segment)
// and sends Claim + SCM_RIGHTS[that fd]; stackd identifies the open file (for
// a socketpair: its own end's peer, found by fstat st_ino of the passed end,
// which is unique per socket inode; for an eventfd: kcmp(KCMP_FILE) against
// the copy it keeps) and maps the socket into the claimer's segment, sharing
// it between processes as the kernel shares a file. Nothing a client can
// forge (numbers, names) identifies a socket.
#pragma once

#include <cstdint>

namespace stackd::abi {

enum class AttachMsg : uint8_t {
  kHello = 1,
  kWelcome = 2,
  kDoorbell = 3,
  kEventFd = 4,
  kOpenSocketFd = 5,  // reserved (shim)
  kClaim = 6,         // reserved (shim)
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

}  // namespace stackd::abi
