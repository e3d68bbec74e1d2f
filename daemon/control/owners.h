// The process behind each connection, as `ss -p` shows it: `users:(("nginx",
// pid=123))`. A client's sockets belong to the process that attached (its
// SO_PEERCRED pid/uid, kept by the session layer); connections of the
// built-in services (echo, discard, ...) belong to stackd itself.
//
//   on the worker:   Owner o = owner_of(sessions, tcb)  /  udp_owners(sessions)
//   on an RPC thread: fill_owner(o, &connection)        (reads /proc/PID/comm)
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "stackd/v1/stackd.pb.h"

namespace stackd::session {
class SessionTable;
}
namespace stackd::transport {
class UdpSocket;
}
namespace stackd::tcp {
struct Tcb;
}

namespace stackd::control {

struct Owner {
  enum class Kind : uint8_t { kNone, kStackd, kClient };
  Kind kind = Kind::kNone;  // kNone: an orphan (closed by its process, still flushing)
  int32_t pid = 0;
  uint32_t uid = 0;
};

// Worker thread. `sessions` null: no client attach configured.
Owner owner_of(const session::SessionTable* sessions, const tcp::Tcb& t);
std::unordered_map<const transport::UdpSocket*, Owner> udp_owners(const session::SessionTable* sessions);

// Any thread: pid, uid and comm into the message (comm from /proc, empty
// when the process is gone by now).
void fill_owner(const Owner& o, ::stackd::v1::Connection* c);
// The first line of /proc/PID/comm ("" when unreadable).
std::string process_comm(int32_t pid);

}  // namespace stackd::control
