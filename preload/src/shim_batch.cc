// Interposers for the batched and piped data calls: sendmmsg/recvmmsg
// (a loop of the library's sendmsg/recvmsg with the kernel's rules for
// partial batches) and splice where one side is a stack socket (the other
// must be a pipe, as for the kernel). A kernel fd goes to libc untouched.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "libc.h"
#include "shim.h"
#include "stackd/client.h"

using namespace stackd::shim;

namespace {

// Linux caps a batch at UIO_MAXIOV messages (net/socket.c __sys_sendmmsg).
constexpr unsigned kMaxBatch = UIO_MAXIOV;

timespec add(const timespec& a, const timespec& b) {
  timespec r{a.tv_sec + b.tv_sec, a.tv_nsec + b.tv_nsec};
  if (r.tv_nsec >= 1'000'000'000) {
    ++r.tv_sec;
    r.tv_nsec -= 1'000'000'000;
  }
  return r;
}
bool passed(const timespec& end) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec);
}

bool is_pipe(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

// A new open file description of pipe end `fd`, non-blocking, so one call
// can be non-blocking without touching the program's shared status flags.
int nonblocking_twin(int fd, int mode) {
  char path[32];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  return open(path, mode | O_NONBLOCK | O_CLOEXEC);
}

}  // namespace

extern "C" {

int sendmmsg(int fd, mmsghdr* vec, unsigned int vlen, int flags) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(sendmmsg)(fd, vec, vlen, flags);
  vlen = std::min(vlen, kMaxBatch);
  unsigned int done = 0;
  for (; done < vlen; ++done) {
    msghdr* m = &vec[done].msg_hdr;
    const int k = hand_over_for_send(fd, h, static_cast<const sockaddr*>(m->msg_name), m->msg_namelen);
    if (k != 0) {
      // Handed over to the kernel (loopback): the rest of the batch is its.
      if (k < 0) return done > 0 ? static_cast<int>(done) : -1;
      const int r = REAL(sendmmsg)(fd, vec + done, vlen - done, flags);
      if (r < 0) return done > 0 ? static_cast<int>(done) : -1;
      return static_cast<int>(done) + r;
    }
    const ssize_t r = stk_sendmsg(h, m, flags);
    if (r < 0) {
      // Linux: an error after at least one message is not reported; the
      // count of the messages sent is (sendmmsg(2)).
      if (done > 0) break;
      return -1;
    }
    vec[done].msg_len = static_cast<unsigned int>(r);
  }
  return static_cast<int>(done);
}

int recvmmsg(int fd, mmsghdr* vec, unsigned int vlen, int flags, timespec* timeout) {
  const int h = table().handle(fd);
  if (h < 0) {
    const int n = REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
    for (int i = 0; i < n; ++i) claim_received(&vec[i].msg_hdr);  // stack sockets passed with SCM_RIGHTS
    return n;
  }
  timespec end{};
  if (timeout != nullptr) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1'000'000'000) {
      errno = EINVAL;
      return -1;
    }
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    end = add(now, *timeout);
  }
  vlen = std::min(vlen, kMaxBatch);
  unsigned int done = 0;
  int f = flags & ~MSG_WAITFORONE;
  for (; done < vlen; ++done) {
    msghdr* m = &vec[done].msg_hdr;
    const ssize_t r = stk_recvmsg(h, m, f);
    if (r < 0) {
      // Linux (net/socket.c do_recvmmsg): an error after at least one
      // datagram ends the batch with the count; EAGAIN is not an error then.
      if (done > 0) break;
      return -1;
    }
    vec[done].msg_len = static_cast<unsigned int>(r);
    // MSG_WAITFORONE: MSG_DONTWAIT after the first datagram.
    if (flags & MSG_WAITFORONE) f |= MSG_DONTWAIT;
    // The timeout is looked at after each datagram (recvmmsg(2) BUGS: it
    // does not bound a blocking receive).
    if (timeout != nullptr && passed(end)) {
      ++done;
      break;
    }
    // A zero-length read of a stream socket is its end: no more to batch.
    if (r == 0) {
      ++done;
      break;
    }
  }
  if (timeout != nullptr) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long s = end.tv_sec - now.tv_sec, ns = end.tv_nsec - now.tv_nsec;
    if (ns < 0) {
      --s;
      ns += 1'000'000'000;
    }
    *timeout = s < 0 ? timespec{0, 0} : timespec{s, ns};
  }
  return static_cast<int>(done);
}

// splice(2) with a stack socket on one side and a pipe on the other (as
// the kernel: one side must be a pipe). The bytes go through the shim's
// buffer (a stack socket has no pages to move), and no byte is lost or
// duplicated when one side takes less than the other gives:
//   socket → pipe: peek the socket, write to the pipe, consume what the
//     pipe took;
//   pipe → socket: read from the pipe only when the socket can take bytes
//     now, then send all of them (a pipe read cannot be undone).
// SPLICE_F_NONBLOCK makes the pipe side non-blocking for this call (a
// twin description, so the program's flags are untouched); the socket
// side follows the socket's own mode and SO_RCVTIMEO, as Linux's.
ssize_t splice(int in, loff_t* off_in, int out, loff_t* off_out, size_t len, unsigned int flags) {
  const int hin = table().handle(in), hout = table().handle(out);
  if (hin < 0 && hout < 0) return REAL(splice)(in, off_in, out, off_out, len, flags);
  // The kernel: one side must be a pipe; offsets are ESPIPE on a pipe or a
  // socket; both sockets is EINVAL.
  if (hin >= 0 && hout >= 0) {
    errno = EINVAL;
    return -1;
  }
  const int pipe_fd = hin >= 0 ? out : in;
  if (!is_pipe(pipe_fd)) {
    errno = EINVAL;
    return -1;
  }
  // An offset: ESPIPE for the pipe's side, EINVAL for the socket's (no
  // pread on a socket), as do_splice checks them.
  if ((hin >= 0 ? off_out : off_in) != nullptr) {
    errno = ESPIPE;
    return -1;
  }
  if ((hin >= 0 ? off_in : off_out) != nullptr) {
    errno = EINVAL;
    return -1;
  }
  if (len == 0) return 0;
  const bool nb = (flags & SPLICE_F_NONBLOCK) != 0;
  char buf[65536];
  len = std::min(len, sizeof(buf));
  if (hin >= 0) {
    // Socket → pipe.
    const ssize_t got = stk_recv(hin, buf, len, MSG_PEEK);
    if (got <= 0) return got;
    int w_fd = out;
    if (nb && (w_fd = nonblocking_twin(out, O_WRONLY)) < 0) return -1;
    const ssize_t w = REAL(write)(w_fd, buf, static_cast<size_t>(got));
    const int e = errno;
    if (w_fd != out) REAL(close)(w_fd);
    errno = e;
    if (w <= 0) return w;
    // Consume exactly what the pipe took (it is in the ring: no wait).
    return stk_recv(hin, buf, static_cast<size_t>(w), MSG_DONTWAIT);
  }
  // Pipe → socket. A socket that cannot take bytes now: EAGAIN when the
  // call or the socket is non-blocking, else wait for room, before any
  // byte leaves the pipe.
  const bool sock_nb = (REAL(fcntl)(out, F_GETFL) & O_NONBLOCK) != 0;
  for (pollfd p{out, POLLOUT, 0}; ::poll(&p, 1, sock_nb ? 0 : -1) != 1 || !(p.revents & (POLLOUT | POLLERR | POLLHUP));) {
    if (sock_nb) {
      errno = EAGAIN;
      return -1;
    }
    if (errno == EINTR) return -1;
  }
  int r_fd = in;
  if (nb && (r_fd = nonblocking_twin(in, O_RDONLY)) < 0) return -1;
  const ssize_t r = REAL(read)(r_fd, buf, len);
  const int e = errno;
  if (r_fd != in) REAL(close)(r_fd);
  errno = e;
  if (r <= 0) return r;
  size_t sent = 0;
  while (sent < static_cast<size_t>(r)) {
    // MSG_DONTWAIT is not passed: the bytes left the program's pipe, so
    // they are sent whole (waiting for room when the ring fills).
    const ssize_t w = stk_send(hout, buf + sent, static_cast<size_t>(r) - sent, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) {  // a non-blocking socket filled up meanwhile
        pollfd p{out, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return sent > 0 ? static_cast<ssize_t>(sent) : -1;
    }
    sent += static_cast<size_t>(w);
  }
  return static_cast<ssize_t>(sent);
}

}  // extern "C"
