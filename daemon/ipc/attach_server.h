// The client attach listener and every attached client, as one LoopSource
// of the dataplane worker: the listening unix socket and each client's
// connection sit behind one epoll fd, the worker sleeps on it with the NICs.
//
//   auto ipc = AttachServer::create(stack, cfg.attach, &err);
//   worker.add_source(ipc.get());    // wait_fds() = { epoll fd }
//
// Per client: SO_PEERCRED (+ SO_PEERGROUPS) admission, a sealed memfd
// segment sent with SCM_RIGHTS (abi/attach.h), doorbells as datagrams on
// the same connection, the connection's close = the client is gone and its
// sockets are reclaimed (session::SessionTable::detach).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "app/loop_source.h"
#include "ipc/attach_config.h"
#include "ipc/claim.h"
#include "ipc/segment.h"
#include "session/session_table.h"
#include "stack/stack.h"

namespace stackd::ipc {

class AttachServer final : public app::LoopSource {
 public:
  static std::unique_ptr<AttachServer> create(stack::Stack& stack, const AttachConfig& cfg, std::string* err);
  ~AttachServer() override;

  std::vector<int> wait_fds() const override { return {epfd_}; }
  size_t poll(Instant now) override;
  Instant poll_at() const override { return table_.poll_at(); }
  void report(std::string& out) const override;

  const session::SessionTable& table() const { return table_; }

 private:
  struct Client;
  struct Tag;
  AttachServer(stack::Stack& stack, const AttachConfig& cfg);
  bool listen_on(std::string* err);
  void accept_clients(Instant now);
  // *raw: may open SOCK_RAW sockets (root, [attach] raw_uids / raw_gids).
  bool admitted(int fd, std::string* why, uid_t* uid, bool* raw) const;
  void refuse(int fd, int status, const std::string& msg);
  bool read_messages(Client& c, Instant now);  // false: the client is gone
  void drop(Client& c, Instant now);

  stack::Stack& stack_;
  AttachConfig cfg_;
  abi::Geometry geo_;
  session::SessionTable table_;
  int epfd_ = -1;
  int listen_fd_ = -1;
  FdIndex fd_index_;  // every client's socket fd ends B, for claims (outlives clients_)
  std::vector<std::unique_ptr<Client>> clients_;
  uint64_t attached_total_ = 0, refused_total_ = 0, reclaimed_total_ = 0;
  uint64_t claimed_total_ = 0, claims_refused_total_ = 0;
};

}  // namespace stackd::ipc
