// Which AF_UNIX socket a unix socket is connected to, as the kernel knows it
// (sock_diag, UNIX_DIAG_PEER). The proof a claimer must give before stackd
// hands it a socket (abi/attach.h "Claim"): it passes the fd A itself with
// SCM_RIGHTS, and A's peer must be one of the B ends stackd holds. Bytes or
// numbers a client merely writes prove nothing; only an fd it holds does.
#pragma once

#include <cstdint>
#include <optional>

namespace stackd::ipc {

// The inode (as fstat's st_ino) of the socket `fd` is connected to, nullopt
// if `fd` is not a connected AF_UNIX socket of this network namespace or
// sock_diag is unavailable (kernel without CONFIG_UNIX_DIAG).
std::optional<uint64_t> unix_peer_inode(int fd);
// The same asked through `diag`, a NETLINK_SOCK_DIAG socket the claimer
// opened in its own network namespace (sock_diag finds a unix socket only
// in the namespace it was made in; the client may live in another than
// stackd's). Only the kernel's answer counts (sender port 0, our sequence
// number); anything queued on `diag` before is discarded. nullopt as above,
// or when `diag` is not such a socket.
std::optional<uint64_t> unix_peer_inode_via(int fd, int diag);

// True when `a` is the other end of the connected AF_UNIX socket `b`.
bool is_peer_of(int a, int b);

}  // namespace stackd::ipc
