#include "control/owners.h"

#include <unistd.h>

#include <fstream>

#include "session/session_table.h"
#include "transport/tcp/tcb.h"
#include "transport/udp.h"

namespace stackd::control {

Owner owner_of(const session::SessionTable* sessions, const tcp::Tcb& t) {
  if (t.owner != session::SessionTable::kOwnerTag) return {Owner::Kind::kStackd, 0, 0};
  const session::ClientSockets* c = sessions != nullptr ? sessions->owner_of_tcb(t.index) : nullptr;
  if (c == nullptr) return {};
  return {Owner::Kind::kClient, c->peer().pid, c->peer().uid};
}

std::unordered_map<const transport::UdpSocket*, Owner> udp_owners(const session::SessionTable* sessions) {
  std::unordered_map<const transport::UdpSocket*, Owner> m;
  if (sessions == nullptr) return m;
  sessions->for_each_client([&](const session::ClientSockets& c) {
    c.for_each_udp([&](const transport::UdpSocket& u) {
      m[&u] = Owner{Owner::Kind::kClient, c.peer().pid, c.peer().uid};
    });
  });
  return m;
}

std::string process_comm(int32_t pid) {
  if (pid <= 0) return {};
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string line;
  std::getline(in, line);
  return line;
}

void fill_owner(const Owner& o, ::stackd::v1::Connection* c) {
  switch (o.kind) {
    case Owner::Kind::kNone:
      return;
    case Owner::Kind::kStackd:
      // The built-in services run inside stackd.
      c->set_pid(static_cast<uint32_t>(getpid()));
      c->set_uid(static_cast<uint32_t>(geteuid()));
      c->set_comm("stackd");
      return;
    case Owner::Kind::kClient:
      c->set_pid(static_cast<uint32_t>(o.pid));
      c->set_uid(o.uid);
      c->set_comm(process_comm(o.pid));
      return;
  }
}

}  // namespace stackd::control
