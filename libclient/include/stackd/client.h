/* libstackclient: the native client API of stackd. BSD sockets with the same
 * arguments, return values and errno as Linux, on stackd's sockets; plus an
 * event API (one pollable fd per thread) and zero-copy ring access.
 *
 *   int s = stk_socket(AF_INET, SOCK_STREAM, 0);
 *   stk_connect(s, (struct sockaddr*)&sin, sizeof sin);
 *   stk_send(s, buf, n, 0);  stk_recv(s, buf, sizeof buf, 0);  stk_close(s);
 *
 * Socket handles are small non-negative integers of their own (not kernel
 * fds). The first call attaches to stackd (STACKD_SOCKET, default
 * /run/stackd/stackd.sock); a refused attach prints stackd's reason on
 * stderr and fails with EACCES. Symbols are versioned (STACKCLIENT_1). */
#ifndef STACKD_CLIENT_H
#define STACKD_CLIENT_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Attach explicitly (path NULL: $STACKD_SOCKET or the default). 0 / -1 errno. */
int stk_attach(const char* path);
/* Close every socket and the attachment (also done at exit by the kernel). */
void stk_detach(void);

int stk_socket(int domain, int type, int protocol);
int stk_bind(int s, const struct sockaddr* addr, socklen_t len);
int stk_listen(int s, int backlog);
int stk_accept(int s, struct sockaddr* addr, socklen_t* len);
int stk_accept4(int s, struct sockaddr* addr, socklen_t* len, int flags);
int stk_connect(int s, const struct sockaddr* addr, socklen_t len);
ssize_t stk_send(int s, const void* buf, size_t len, int flags);
ssize_t stk_recv(int s, void* buf, size_t len, int flags);
ssize_t stk_sendto(int s, const void* buf, size_t len, int flags, const struct sockaddr* to, socklen_t tolen);
ssize_t stk_recvfrom(int s, void* buf, size_t len, int flags, struct sockaddr* from, socklen_t* fromlen);
ssize_t stk_sendmsg(int s, const struct msghdr* msg, int flags);
ssize_t stk_recvmsg(int s, struct msghdr* msg, int flags);
ssize_t stk_read(int s, void* buf, size_t len);
ssize_t stk_write(int s, const void* buf, size_t len);
ssize_t stk_readv(int s, const struct iovec* iov, int iovcnt);
ssize_t stk_writev(int s, const struct iovec* iov, int iovcnt);
int stk_shutdown(int s, int how);
int stk_close(int s);
int stk_getsockopt(int s, int level, int name, void* val, socklen_t* len);
int stk_setsockopt(int s, int level, int name, const void* val, socklen_t len);
int stk_getsockname(int s, struct sockaddr* addr, socklen_t* len);
int stk_getpeername(int s, struct sockaddr* addr, socklen_t* len);
/* F_GETFL / F_SETFL (O_NONBLOCK). */
int stk_fcntl(int s, int cmd, int arg);

/* ---- readiness and events ---- */
/* poll(2) over stack sockets (fds[i].fd are stk handles). */
int stk_poll(struct pollfd* fds, nfds_t nfds, int timeout_ms);
/* POLLIN/POLLOUT/POLLERR/POLLHUP/POLLRDHUP of a socket, read from shared memory. */
short stk_readiness(int s);
/* This thread's pollable fd: readable when a socket it watches changed.
 * Protocol: stk_event_arm(); check stk_readiness() of your sockets; then
 * wait on the fd (epoll/poll/io_uring) with your own fds. */
int stk_event_fd(void);
int stk_watch(int s, int on);
void stk_event_arm(void);

/* ---- zero copy ---- */
/* Borrow the readable bytes of the receive ring (a contiguous part, at most
 * max). Returns their count (0 at end of stream, -1 errno), *data points
 * into the ring until stk_recv_release(s, n) gives back n of them. One
 * borrower per socket at a time. */
ssize_t stk_recv_borrow(int s, const void** data, size_t max, int flags);
int stk_recv_release(int s, size_t n);
/* Reserve space in the send ring (contiguous, at most max), write it, then
 * stk_send_commit(s, n) sends n bytes of it. */
ssize_t stk_send_reserve(int s, void** data, size_t max, int flags);
int stk_send_commit(int s, size_t n);

/* ---- socket fds (for the LD_PRELOAD shim; abi/attach.h "Socket fds") ----
 * A kernel fd standing for socket s: poll/select/epoll on it report the
 * socket's readiness; the socket closes when the last copy of the fd is
 * closed (in any process), not at stk_close. flags: SOCK_NONBLOCK,
 * SOCK_CLOEXEC (of the fd). One per socket (EEXIST). */
int stk_socket_fd(int s, int flags);
/* The fd was dup'ed and the number given by stk_socket_fd closed: use fd. */
int stk_set_socket_fd(int s, int fd);
/* Forget handle s in this process without closing the socket (its fd's
 * last close does that). */
int stk_forget(int s);
/* FIONBIO, FIONREAD/SIOCINQ, SIOCOUTQ (ENOTTY otherwise). */
int stk_ioctl(int s, unsigned long req, int* arg);

/* ---- exec and fd passing (for the LD_PRELOAD shim; abi/attach.h "Claim") ----
 * stk_exec_prepare: before an exec that should keep this process's
 * attachment: writes the value of STACKD_ATTACH for the new image to out
 * and makes the attach connection and the segment's memfd inheritable.
 * 1 done, 0 no attachment (nothing to pass), -1 with errno.
 * stk_exec_abandoned: the exec failed: close-on-exec again.
 * stk_exec_resume: in the new image, the attachment named by the value
 * (fds checked by inode, the segment by its header). 0 or -1 with errno.
 * stk_claim_fd: the socket whose fd A is `fd` (inherited or received), as
 * a handle of this process's attachment; -1 with errno ENOENT (another
 * attachment's socket), EBADF (not a stack socket), ENOTCONN (no
 * attachment). The handle's fd is `fd`. */
int stk_exec_prepare(char* out, size_t n);
void stk_exec_abandoned(void);
int stk_exec_resume(const char* value);
int stk_claim_fd(int fd);

/* Busy-poll profile: spin this long before sleeping in every wait (0 = never
 * spin, the default; STACKD_BUSY_POLL_US sets it at attach). */
void stk_set_busy_poll(unsigned usecs);

#ifdef __cplusplus
}
#endif

#endif
