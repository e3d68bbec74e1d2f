// State shared by the interposers: the process's fd table, and the helpers
// that create / give up a stack socket's fd. The interposers themselves are
// thin: look the fd up, call the client library (stk_*) or libc.
#pragma once

#include <sys/socket.h>

#include "fd_table.h"

namespace stackd::shim {

FdTable& table();

// A new stack socket's kernel fd for handle h (flags: SOCK_NONBLOCK,
// SOCK_CLOEXEC), entered in the table. -1 with errno (h is closed then).
int adopt(int h, int flags);

// fd is going away (close, or replaced by dup2/dup3): drop it from the
// table; if it was the process's last fd of its socket, the library forgets
// the handle (the kernel fd's last close closes the socket in stackd).
void release(const FdTable::Removed& r);

// Move stack socket fd onto a kernel socket of the same type and flags
// (loopback traffic, DESIGN.md): same fd number. 0 or -1 with errno.
int hand_over_to_kernel(int fd, int h);

// A sendto/sendmsg to `to` on stack socket fd: when `to` is loopback (and
// loopback stays on the kernel) and fd is a UDP socket not bound yet, fd is
// handed over first (the kernel binds it at the send, as it would have).
// 1: handed over (send with libc), 0: not, -1 with errno.
int hand_over_for_send(int fd, int h, const sockaddr* to, socklen_t len);

// fd might be a stack socket's fd A (an AF_UNIX stream socket).
bool may_be_stack_fd(int fd);
// fd came from elsewhere (exec, SCM_RIGHTS): when stackd says it is a
// socket of this process's attachment, it enters the table. The handle, or
// -1 (a kernel fd it stays: another attachment's socket, a unix socket).
int claim_fd(int fd);
// The SCM_RIGHTS fds of a received message, each claimed.
void claim_received(const msghdr* m);

}  // namespace stackd::shim
