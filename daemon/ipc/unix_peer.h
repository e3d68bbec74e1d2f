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

// True when `a` is the other end of the connected AF_UNIX socket `b`.
bool is_peer_of(int a, int b);

}  // namespace stackd::ipc
