#include "control/peer_auth.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <grpcpp/server_posix.h>

namespace stackd::control {

std::optional<gid_t> group_id(const std::string& name) {
  if (name.empty()) return std::nullopt;
  struct group gr, *res = nullptr;
  std::vector<char> buf(16384);
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || res == nullptr)
    return std::nullopt;
  return res->gr_gid;
}

std::optional<PeerCred> peer_cred(int fd) {
  struct ucred uc {};
  socklen_t len = sizeof uc;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) return std::nullopt;
  PeerCred c{uc.pid, uc.uid, uc.gid, {}};
  std::vector<gid_t> groups(64);
  for (int tries = 0; tries < 4; ++tries) {
    len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      c.groups = std::move(groups);
      break;
    }
    if (errno != ERANGE) break;  // no supplementary groups known: gid only
    groups.resize(len / sizeof(gid_t) + 1);
  }
  return c;
}

void Authorizer::remember(int fd, PeerCred c) {
  std::lock_guard<std::mutex> g(mu_);
  by_fd_[fd] = std::move(c);  // a reused fd number overwrites the closed connection's
}

std::optional<PeerCred> Authorizer::peer(std::string_view grpc_peer) const {
  constexpr std::string_view kFd = "fd:";
  if (!grpc_peer.starts_with(kFd)) return std::nullopt;
  int fd = -1;
  auto s = grpc_peer.substr(kFd.size());
  if (std::from_chars(s.data(), s.data() + s.size(), fd).ec != std::errc{}) return std::nullopt;
  std::lock_guard<std::mutex> g(mu_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return std::nullopt;
  return it->second;
}

bool Authorizer::may_mutate(const PeerCred& c) const {
  if (c.uid == 0) return true;
  if (!admin_gid_) return false;
  return c.gid == *admin_gid_ ||
         std::find(c.groups.begin(), c.groups.end(), *admin_gid_) != c.groups.end();
}

grpc::Status Authorizer::check(const grpc::ServerContext& ctx, Access a, std::string_view what) const {
  auto c = peer(ctx.peer());
  if (!c)
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("{}: only grpc.health.v1 is served here; use the unix control socket", what)};
  if (a == Access::kMutate && !may_mutate(*c))
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("{}: uid {} may only read; changes need root or the control admin group", what,
                        c->uid)};
  return grpc::Status::OK;
}

UnixListener::~UnixListener() { stop(); }

bool UnixListener::open(const std::string& path, const std::string& group, std::string* err) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) {
    *err = fmt::format("{}: path too long", path);
    return false;
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *err = fmt::format("socket: {}", std::strerror(errno));
    return false;
  }
  // A live socket belongs to another stackd: never steal it. A dead one is
  // a stale file of an earlier run.
  if (int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); probe >= 0) {
    const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(probe);
    if (live) {
      *err = fmt::format("{}: another process serves this socket", path);
      ::close(fd_);
      fd_ = -1;
      return false;
    }
  }
  ::unlink(path.c_str());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd_, 64) != 0) {
    *err = fmt::format("{}: {}", path, std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  path_ = path;
  if (auto gid = group_id(group)) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
      *err = fmt::format("chgrp {} {}: {}", group, path, std::strerror(errno));
      return false;
    }
  }
  if (::chmod(path.c_str(), 0660) != 0) {
    *err = fmt::format("chmod 0660 {}: {}", path, std::strerror(errno));
    return false;
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  return stop_fd_ >= 0;
}

void UnixListener::start(grpc::Server* server, Authorizer* auth) {
  server_ = server;
  auth_ = auth;
  thread_ = std::thread([this] { run(); });
}

void UnixListener::run() {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) continue;
    auto cred = peer_cred(c);
    if (!cred) {
      ::close(c);
      continue;
    }
    auth_->remember(c, std::move(*cred));
    grpc::AddInsecureChannelFromFd(server_, c);  // gRPC owns and closes c now
  }
}

void UnixListener::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }
  if (stop_fd_ >= 0) {
    ::close(stop_fd_);
    stop_fd_ = -1;
  }
}

}  // namespace stackd::control
