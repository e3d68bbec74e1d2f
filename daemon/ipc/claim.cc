#include "ipc/claim.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipc/unix_peer.h"

namespace stackd::ipc {

std::optional<FdIndex::Entry> FdIndex::find(uint64_t ino) const {
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return std::nullopt;
  return it->second;
}

uint64_t inode_of_fd(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

namespace {

void close_all(std::vector<int>& fds) {
  for (int f : fds) close(f);
  fds.clear();
}

int status_of(int a, int diag, const FdIndex& index, const void* owner,
              const std::function<std::optional<abi::ClaimReply>(uint32_t)>& describe, abi::ClaimReply* out) {
  const std::optional<uint64_t> peer = diag >= 0 ? unix_peer_inode_via(a, diag) : unix_peer_inode(a);
  const std::optional<FdIndex::Entry> e = peer ? index.find(*peer) : std::nullopt;
  if (!e) return EBADF;
  // Another client's socket: its rings are that client's segment.
  if (e->owner != owner) return ENOENT;
  const std::optional<abi::ClaimReply> d = describe(e->slot);
  if (!d) return EBADF;
  *out = *d;
  return 0;
}

}  // namespace

int answer_claim(const uint8_t* buf, size_t n, std::vector<int>& fds, const FdIndex& index, const void* owner,
                 const std::function<std::optional<abi::ClaimReply>(uint32_t slot)>& describe) {
  struct stat st {};
  if (n < sizeof(abi::ClaimMsg) || buf[0] != static_cast<uint8_t>(abi::AttachMsg::kClaim) || (fds.size() != 2 && fds.size() != 3) ||
      fstat(fds[1], &st) != 0 || !S_ISSOCK(st.st_mode)) {
    close_all(fds);
    return -1;
  }
  abi::ClaimReply r{};
  r.status = status_of(fds[0], fds.size() == 3 ? fds[2] : -1, index, owner, describe, &r);
  if (r.status != 0) {
    const int status = r.status;
    r = abi::ClaimReply{};
    r.status = status;
  }
  // Never blocks whatever the client did to R (a full or odd R: no answer).
  (void)send(fds[1], &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL);
  close_all(fds);
  return r.status;
}

}  // namespace stackd::ipc
