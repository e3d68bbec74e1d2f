// Who is calling: the control socket's own accept loop reads each unix
// connection's peer credentials (SO_PEERCRED, SO_PEERGROUPS) and hands the
// connected fd to gRPC (grpc::AddInsecureChannelFromFd), whose calls on it
// then report the peer "fd:N". Authorizer maps that back to the
// credentials: root or a member of [control] admin_group may mutate,
// anyone who can open the socket (mode 0660, group [control] group) may
// read. Calls from the loopback TCP port (not "fd:") may only ask
// grpc.health.v1.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace stackd::control {

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

enum class Access : uint8_t { kRead, kMutate };

class Authorizer {
 public:
  // admin_gid: the group that may mutate besides root (nullopt: root only).
  explicit Authorizer(std::optional<gid_t> admin_gid) : admin_gid_(admin_gid) {}

  void remember(int fd, PeerCred c);
  std::optional<PeerCred> peer(std::string_view grpc_peer) const;

  // OK, or PERMISSION_DENIED / UNAUTHENTICATED with a one-line reason.
  grpc::Status check(const grpc::ServerContext& ctx, Access a, std::string_view what) const;
  bool may_mutate(const PeerCred& c) const;

 private:
  std::optional<gid_t> admin_gid_;
  mutable std::mutex mu_;
  std::unordered_map<int, PeerCred> by_fd_;
};

// The unix control socket: bind, chmod 0660 / chgrp, accept on its own
// thread, credentials into the Authorizer, the fd into the gRPC server.
class UnixListener {
 public:
  UnixListener() = default;
  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Create the socket file (its directory too); false with *err on failure.
  bool open(const std::string& path, const std::string& group, std::string* err);
  void start(grpc::Server* server, Authorizer* auth);
  void stop();

 private:
  void run();

  std::string path_;
  int fd_ = -1;
  int stop_fd_ = -1;
  grpc::Server* server_ = nullptr;
  Authorizer* auth_ = nullptr;
  std::thread thread_;
};

std::optional<gid_t> group_id(const std::string& name);
std::optional<PeerCred> peer_cred(int fd);

}  // namespace stackd::control
