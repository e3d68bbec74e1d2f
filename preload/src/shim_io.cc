// Interposers for data: read/write, readv/writev, recv*/send*, their
// fortified (_chk) variants, and sendfile from a kernel file to a stack
// socket. A kernel fd goes to libc untouched.
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "libc.h"
#include "shim.h"
#include "stackd/client.h"

using namespace stackd::shim;

extern "C" {

[[noreturn]] void __chk_fail(void);

ssize_t read(int fd, void* buf, size_t n) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(read)(fd, buf, n) : stk_read(h, buf, n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(write)(fd, buf, n) : stk_write(h, buf, n);
}

ssize_t readv(int fd, const iovec* iov, int cnt) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(readv)(fd, iov, cnt) : stk_readv(h, iov, cnt);
}

ssize_t writev(int fd, const iovec* iov, int cnt) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(writev)(fd, iov, cnt) : stk_writev(h, iov, cnt);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(recv)(fd, buf, n, flags) : stk_recv(h, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* fromlen) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(recvfrom)(fd, buf, n, flags, from, fromlen) : stk_recvfrom(h, buf, n, flags, from, fromlen);
}

ssize_t recvmsg(int fd, msghdr* m, int flags) {
  const int h = table().handle(fd);
  if (h >= 0) return stk_recvmsg(h, m, flags);
  const ssize_t r = REAL(recvmsg)(fd, m, flags);
  if (r >= 0) claim_received(m);  // stack sockets passed with SCM_RIGHTS
  return r;
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(send)(fd, buf, n, flags) : stk_send(h, buf, n, flags);
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t tolen) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(sendto)(fd, buf, n, flags, to, tolen);
  const int k = hand_over_for_send(fd, h, to, tolen);
  if (k != 0) return k < 0 ? -1 : REAL(sendto)(fd, buf, n, flags, to, tolen);
  return stk_sendto(h, buf, n, flags, to, tolen);
}

ssize_t sendmsg(int fd, const msghdr* m, int flags) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(sendmsg)(fd, m, flags);
  const int k = m != nullptr ? hand_over_for_send(fd, h, static_cast<const sockaddr*>(m->msg_name), m->msg_namelen) : 0;
  if (k != 0) return k < 0 ? -1 : REAL(sendmsg)(fd, m, flags);
  return stk_sendmsg(h, m, flags);
}

// _FORTIFY_SOURCE builds call these: the buffer-size check, then the call.
ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) __chk_fail();
  return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) __chk_fail();
  return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, sockaddr* from, socklen_t* fromlen) {
  if (n > buflen) __chk_fail();
  return recvfrom(fd, buf, n, flags, from, fromlen);
}

// sendfile(2) to a stack socket: read the file and send, as the kernel
// would without a page cache shortcut. out_fd a kernel fd: libc.
ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  const int h = table().handle(out_fd);
  if (h < 0) return REAL(sendfile)(out_fd, in_fd, offset, count);
  char buf[65536];
  size_t done = 0;
  off_t pos = offset != nullptr ? *offset : 0;
  while (done < count) {
    const size_t want = std::min(sizeof(buf), count - done);
    const ssize_t r = offset != nullptr ? pread(in_fd, buf, want, pos) : REAL(read)(in_fd, buf, want);
    if (r < 0) {
      if (done > 0) break;
      return -1;
    }
    if (r == 0) break;
    const ssize_t w = stk_send(h, buf, static_cast<size_t>(r), MSG_NOSIGNAL);
    if (w < 0) {
      if (offset == nullptr) lseek(in_fd, -r, SEEK_CUR);  // not consumed
      if (done > 0) break;
      return -1;
    }
    if (offset == nullptr && w < r) lseek(in_fd, w - r, SEEK_CUR);
    done += static_cast<size_t>(w);
    pos += w;
    if (w < r) break;
  }
  if (offset != nullptr) *offset = pos;
  return static_cast<ssize_t>(done);
}

ssize_t sendfile64(int out_fd, int in_fd, off64_t* offset, size_t count) {
  return sendfile(out_fd, in_fd, reinterpret_cast<off_t*>(offset), count);
}

}  // extern "C"
