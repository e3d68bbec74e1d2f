// Which sockets go to stackd and what happens when it cannot be reached
// (DESIGN.md "The shim"), read once from the environment:
//   STACKD_FALLBACK=kernel|fail  stackd unreachable: sockets on the kernel (default) or socket() fails (ENETDOWN)
//   STACKD_LOOPBACK=kernel|stack 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 on the kernel (default: bind/connect there
//                                hands the fd to a kernel socket of the same family)
//   STACKD_QUIET=1               no banner line
#pragma once

#include <sys/socket.h>

namespace stackd::shim {

enum class Fallback { kKernel, kFail };

struct Policy {
  Fallback fallback = Fallback::kKernel;
  bool loopback_on_kernel = true;
  bool quiet = false;
};
const Policy& policy();

// A socket() for stackd found it unreachable (errno from the attach): true
// when that errno means so (no socket file, refused, wrong ABI...).
bool is_unreachable_errno(int e);
// Said once per process: which fallback applies, and why.
void say_unreachable(int e);
// Said once per process at its first stack socket (unless STACKD_QUIET=1).
void say_banner();
// Set once stackd was found unreachable: later sockets do not try again.
bool stackd_unreachable();

// A loopback address (stays on the kernel by default): AF_INET 127.0.0.0/8,
// AF_INET6 ::1 and the v4-mapped ::ffff:127.0.0.0/104.
bool is_loopback(const sockaddr* sa, socklen_t len);

}  // namespace stackd::shim
