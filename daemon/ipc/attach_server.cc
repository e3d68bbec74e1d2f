#include "ipc/attach_server.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "app/log.h"
#include "stackd/abi/attach.h"

namespace stackd::ipc {

// What an epoll event of epfd_ is about: the listener (data.ptr nullptr),
// a client's connection, or the end B of one of its socket fds.
struct AttachServer::Tag {
  Client* client = nullptr;
  uint32_t slot = UINT32_MAX;  // UINT32_MAX: the connection itself
};

// One attached client: its connection, segment, sockets and event fds.
struct AttachServer::Client final : session::Wakeups {
  Tag tag;
  int epfd = -1;
  std::vector<int> sock_fds;   // per slot: B of the socket's fd pair, -1 = none
  std::vector<Tag> sock_tags;  // per slot (sized once: epoll holds pointers)
  std::vector<uint64_t> sock_inos;  // per slot: B's inode, as entered in *index
  FdIndex* index = nullptr;         // the server's B ends by inode (claims)
  int fd = -1;
  uid_t uid = 0;
  pid_t pid = 0;
  bool raw_allowed = false;  // SOCK_RAW (admitted())
  std::unique_ptr<Segment> seg;
  session::ClientSockets* sockets = nullptr;
  std::vector<int> event_fds;  // per channel, -1 = none

  ~Client() override {
    for (int e : event_fds)
      if (e >= 0) close(e);
    for (uint32_t i = 0; i < sock_fds.size(); ++i) fd_closed(i);
    if (fd >= 0) close(fd);
  }
  // A shared futex word (not FUTEX_PRIVATE: the client maps the same memfd).
  void wake(std::atomic<uint32_t>* word) override {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }
  void signal_channel(uint32_t ch) override {
    if (ch < event_fds.size() && event_fds[ch] >= 0) {
      const uint8_t b = 1;
      // Never blocks whatever the client did to its end (full = already signalled).
      (void)send(event_fds[ch], &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  }
  // abi/attach.h "Socket fds". Nothing here blocks, whatever the client
  // does with its end A (full = already readable; a reader that never
  // reads hurts only itself).
  bool fd_readable(uint32_t slot) override {
    if (slot >= sock_fds.size() || sock_fds[slot] < 0) return false;
    const uint8_t b = 1;
    return send(sock_fds[slot], &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1;
  }
  void fd_writable(uint32_t slot) override {
    if (slot >= sock_fds.size() || sock_fds[slot] < 0) return;
    uint8_t buf[4096];
    for (int i = 0; i < 64 && recv(sock_fds[slot], buf, sizeof(buf), MSG_DONTWAIT) > 0; ++i) {
    }
  }
  void fd_shutdown(uint32_t slot) override {
    if (slot < sock_fds.size() && sock_fds[slot] >= 0) shutdown(sock_fds[slot], SHUT_WR);
  }
  void fd_closed(uint32_t slot) override {
    if (slot >= sock_fds.size() || sock_fds[slot] < 0) return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, sock_fds[slot], nullptr);
    close(sock_fds[slot]);
    sock_fds[slot] = -1;
    index->remove(sock_inos[slot]);
  }
  // B of socket (slot, gen): kept, watched for hang-up, then signalled.
  void open_socket_fd(uint32_t slot, uint32_t gen, int b, Instant now) {
    struct stat st {};
    int type = 0;
    socklen_t tl = sizeof(type);
    if (slot >= sock_fds.size() || sock_fds[slot] >= 0 || fstat(b, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        getsockopt(b, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM) {
      close(b);
      return;
    }
    const int sndbuf = 65536;  // room for kFdMaxEdges one-byte messages, whatever the default
    setsockopt(b, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    const int fl = fcntl(b, F_GETFL);
    fcntl(b, F_SETFL, fl | O_NONBLOCK);
    sock_fds[slot] = b;
    sock_inos[slot] = static_cast<uint64_t>(st.st_ino);
    index->add(sock_inos[slot], this, slot);
    epoll_event ev{};
    ev.events = EPOLLRDHUP;  // A's last close; bytes B receives are filler, drained on demand
    ev.data.ptr = &sock_tags[slot];
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, b, &ev) != 0 || !sockets->attach_fd(slot, gen, now)) {
      epoll_ctl(epfd, EPOLL_CTL_DEL, b, nullptr);
      close(b);
      sock_fds[slot] = -1;
      index->remove(sock_inos[slot]);
    }
  }
};

AttachServer::AttachServer(stack::Stack& stack, const AttachConfig& cfg)
    : stack_(stack),
      cfg_(cfg),
      geo_(abi::make_geometry(cfg.max_channels, cfg.max_sockets, cfg.ring_kib * 1024)),
      table_(stack.tcp(), stack.udp()) {}

std::unique_ptr<AttachServer> AttachServer::create(stack::Stack& stack, const AttachConfig& cfg,
                                                   std::string* err) {
  std::unique_ptr<AttachServer> s(new AttachServer(stack, cfg));
  if (s->geo_.segment_bytes == 0) {
    *err = fmt::format("[attach] max_sockets {} x 2 x ring_kib {} does not fit a segment",
                       cfg.max_sockets, cfg.ring_kib);
    return nullptr;
  }
  s->epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (s->epfd_ < 0 || !s->listen_on(err)) return nullptr;
  session::SessionTable* t = &s->table_;
  stack.set_tcp_event_sink([t](uint32_t tcb) { t->tcp_event(tcb); });
  return s;
}

AttachServer::~AttachServer() {
  stack_.set_tcp_event_sink(nullptr);
  const Instant now = stack_.tcp().last_now();
  while (!clients_.empty()) drop(*clients_.back(), now);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(cfg_.socket.c_str());
  }
  if (epfd_ >= 0) close(epfd_);
}

bool AttachServer::listen_on(std::string* err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(cfg_.socket).parent_path();
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      *err = fmt::format("attach socket directory {}: {}", dir.string(), ec.message());
      return false;
    }
    chmod(dir.c_str(), 0755);
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, cfg_.socket.c_str(), std::min(cfg_.socket.size(), sizeof(sa.sun_path) - 1));
  // A socket file left by a stackd that died is removed; a live one is not.
  {
    int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      // Another stackd serves clients there (a second instance, tests
      // running side by side): this one runs without client attach rather
      // than not at all, and says so.
      app::log::warn("attach: {} is in use by another stackd; clients cannot attach to this one "
                     "(set [attach] socket to a free path)", cfg_.socket);
      return true;
    }
    unlink(cfg_.socket.c_str());
  }
  listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    *err = fmt::format("attach socket {}: {}", cfg_.socket, std::strerror(errno));
    return false;
  }
  if (!cfg_.group.empty()) {
    const group* g = getgrnam(cfg_.group.c_str());
    if (g == nullptr || chown(cfg_.socket.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      *err = fmt::format("attach socket {}: group \"{}\": {}", cfg_.socket, cfg_.group,
                         g == nullptr ? "no such group" : std::strerror(errno));
      return false;
    }
  }
  if (chmod(cfg_.socket.c_str(), cfg_.mode) != 0 || listen(listen_fd_, 128) != 0) {
    *err = fmt::format("attach socket {}: {}", cfg_.socket, std::strerror(errno));
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr = the listener
  epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  app::log::info("attach: listening on {} (mode {:04o}{}{}), {} sockets x {} KiB rings per client",
                 cfg_.socket, cfg_.mode, cfg_.group.empty() ? "" : ", group ", cfg_.group,
                 cfg_.max_sockets, cfg_.ring_kib);
  return true;
}

bool AttachServer::admitted(int fd, std::string* why, uid_t* uid, bool* raw) const {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    *why = "stackd could not read the client's credentials";
    return false;
  }
  *uid = cred.uid;
  std::vector<gid_t> groups(64);
  len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
  groups.resize(len / sizeof(gid_t));
  groups.push_back(cred.gid);
  // The uid, or its primary or a supplementary group, in one of the lists.
  auto listed = [&](const std::vector<uint32_t>& uids, const std::vector<uint32_t>& gids) {
    if (std::find(uids.begin(), uids.end(), cred.uid) != uids.end()) return true;
    for (gid_t g : groups)
      if (std::find(gids.begin(), gids.end(), g) != gids.end()) return true;
    return false;
  };
  // Linux wants CAP_NET_RAW for SOCK_RAW: stackd gives raw sockets to root
  // and to whom [attach] raw_uids / raw_gids name, never to every client.
  *raw = cred.uid == 0 || listed(cfg_.raw_uids, cfg_.raw_gids);
  if (cred.uid == 0 || listed(cfg_.allow_uids, cfg_.allow_gids)) return true;
  *why = fmt::format(
      "stackd refused to attach: uid {} (gid {}) is not allowed; an administrator can add it to "
      "allow_uids or allow_gids in [attach] of stackd's config",
      cred.uid, cred.gid);
  return false;
}

void AttachServer::refuse(int fd, int status, const std::string& msg) {
  abi::Welcome w{};
  w.type = static_cast<uint8_t>(abi::AttachMsg::kWelcome);
  w.magic = abi::kMagic;
  w.version = abi::kAbiVersion;
  w.status = status;
  std::memcpy(w.message, msg.data(), std::min(msg.size(), sizeof(w.message) - 1));
  (void)send(fd, &w, sizeof(w), MSG_DONTWAIT | MSG_NOSIGNAL);
  close(fd);
  ++refused_total_;
}

void AttachServer::accept_clients(Instant) {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string why;
    uid_t uid = 0;
    bool raw = false;
    if (!admitted(fd, &why, &uid, &raw)) {
      app::log::warn("attach: {}", why);
      refuse(fd, EACCES, why);
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->uid = uid;
    c->raw_allowed = raw;
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) c->pid = cred.pid;
    std::string err;
    c->seg = Segment::create(geo_, static_cast<uint32_t>(attached_total_ + 1), &err);
    if (!c->seg) {
      app::log::warn("attach: pid {}: {}", c->pid, err);
      refuse(fd, ENOMEM, "stackd could not create the shared segment: " + err);
      c->fd = -1;
      continue;
    }
    c->event_fds.assign(geo_.max_channels, -1);
    c->epfd = epfd_;
    c->tag.client = c.get();
    c->sock_fds.assign(geo_.max_sockets, -1);
    c->sock_tags.resize(geo_.max_sockets);
    c->sock_inos.assign(geo_.max_sockets, 0);
    c->index = &fd_index_;
    for (uint32_t i = 0; i < geo_.max_sockets; ++i) c->sock_tags[i] = Tag{c.get(), i};
    c->sockets = &table_.attach(session::SegmentView{c->seg->base(), geo_}, *c);
    c->sockets->set_peer({static_cast<int32_t>(c->pid), static_cast<uint32_t>(c->uid), c->raw_allowed});  // `stackctl conn -p`
    abi::Welcome w{};
    w.type = static_cast<uint8_t>(abi::AttachMsg::kWelcome);
    w.magic = abi::kMagic;
    w.version = abi::kAbiVersion;
    w.client_id = c->sockets->id();
    w.max_channels = geo_.max_channels;
    w.max_sockets = geo_.max_sockets;
    w.ring_bytes = geo_.ring_bytes;
    w.segment_bytes = geo_.segment_bytes;
    iovec iov{&w, sizeof(w)};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    const int mfd = c->seg->fd();
    std::memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = &c->tag;
    if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(w)) ||
        epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      table_.detach(*c->sockets, stack_.tcp().last_now());
      continue;
    }
    ++attached_total_;
    app::log::info("attach: client {} (pid {}, uid {}) attached, segment {} KiB", w.client_id, c->pid,
                   c->uid, geo_.segment_bytes / 1024);
    clients_.push_back(std::move(c));
  }
}

// Doorbells, the hello and event-fd registrations. Any fd that arrives with
// a message that does not carry one is closed at once.
bool AttachServer::read_messages(Client& c, Instant now) {
  for (int budget = 256; budget > 0; --budget) {
    uint8_t buf[64];
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    iovec iov{buf, sizeof(buf)};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    const ssize_t n = recvmsg(c.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    std::vector<int> fds;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      const size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int f;
        std::memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        fds.push_back(f);
      }
    }
    const auto type = static_cast<abi::AttachMsg>(buf[0]);
    if (type == abi::AttachMsg::kHello && static_cast<size_t>(n) >= sizeof(abi::Hello)) {
      abi::Hello h;
      std::memcpy(&h, buf, sizeof(h));
      if (h.magic != abi::kMagic || h.version != abi::kAbiVersion) {
        app::log::warn("attach: client {} speaks ABI version {}, stackd {}: dropped",
                       c.sockets->id(), h.version, abi::kAbiVersion);
        for (int f : fds) close(f);
        return false;
      }
    } else if (type == abi::AttachMsg::kEventFd && static_cast<size_t>(n) >= sizeof(abi::EventFdMsg) &&
               fds.size() == 1) {
      abi::EventFdMsg m;
      std::memcpy(&m, buf, sizeof(m));
      struct stat st {};
      if (m.channel < c.event_fds.size() && fstat(fds[0], &st) == 0 && S_ISSOCK(st.st_mode)) {
        if (c.event_fds[m.channel] >= 0) close(c.event_fds[m.channel]);
        c.event_fds[m.channel] = fds[0];
        fds.clear();
      }
    } else if (type == abi::AttachMsg::kOpenSocketFd && static_cast<size_t>(n) >= sizeof(abi::OpenSocketFdMsg) &&
               fds.size() == 1) {
      abi::OpenSocketFdMsg m;
      std::memcpy(&m, buf, sizeof(m));
      c.open_socket_fd(m.sock, m.gen, fds[0], now);  // takes the fd
      fds.clear();
    } else if (type == abi::AttachMsg::kClaim) {
      // Exec / fd passing (abi/attach.h "Claim"): answered on R, fds closed.
      const int st = answer_claim(buf, static_cast<size_t>(n), fds, fd_index_, &c,
                                  [&c](uint32_t slot) { return c.sockets->describe(slot); });
      ++(st == 0 ? claimed_total_ : claims_refused_total_);
    }
    for (int f : fds) close(f);
  }
  return true;
}

void AttachServer::drop(Client& c, Instant now) {
  app::log::info("attach: client {} (pid {}) gone; {} socket(s) reclaimed", c.sockets->id(), c.pid,
                 c.sockets->sockets_open());
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  table_.detach(*c.sockets, now);
  ++reclaimed_total_;
  std::erase_if(clients_, [&](const auto& p) { return p.get() == &c; });
}

size_t AttachServer::poll(Instant now) {
  size_t n = 0;
  epoll_event evs[64];
  const int k = epoll_wait(epfd_, evs, 64, 0);
  std::vector<Client*> gone;  // dropped after the batch: later events may name them
  for (int i = 0; i < k; ++i) {
    auto* t = static_cast<Tag*>(evs[i].data.ptr);
    ++n;
    if (t == nullptr) {
      accept_clients(now);
    } else if (t->slot != UINT32_MAX) {
      // Every copy of the socket's fd is closed: the application's last close(2).
      if (evs[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) t->client->sockets->fd_released(t->slot, now);
    } else if (!read_messages(*t->client, now) || (evs[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
      if (std::find(gone.begin(), gone.end(), t->client) == gone.end()) gone.push_back(t->client);
    }
  }
  for (Client* c : gone) drop(*c, now);
  // Every channel, doorbell or not: a client may have queued requests while
  // we were busy (its doorbell is then already consumed or still coming).
  for (auto& c : clients_) n += c->sockets->serve_channels(now);
  n += table_.poll(now);
  return n;
}

void AttachServer::report(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "# client attach\n{:<32}{}\n{:<32}{}\n{:<32}{}\n{:<32}{}\n{:<32}{}\n{:<32}{}\n",
                 "IpcClients", table_.clients(), "IpcSockets", table_.sockets(), "IpcOrphans",
                 table_.orphans(), "IpcSegmentBytes", table_.segment_bytes(), "IpcAttached",
                 attached_total_, "IpcRefused", refused_total_);
  // TcpTcbsInUse and the other TCP gauges come with the stack's report.
  fmt::format_to(std::back_inserter(out), "{:<32}{}\n{:<32}{}\n{:<32}{}\n", "IpcReclaimed", reclaimed_total_,
                 "IpcClaimed", claimed_total_, "IpcClaimsRefused", claims_refused_total_);
}

}  // namespace stackd::ipc
