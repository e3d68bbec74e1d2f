// The Claim of a socket fd (abi/attach.h "Claim"): a process that holds a
// stack socket's fd A without having made it (exec, SCM_RIGHTS) asks which
// socket it is. The proof is A itself: its peer, as the kernel reports it
// (unix_peer.h), must be one of the B ends stackd holds, found by inode in
// an FdIndex.
//
//   FdIndex idx;  idx.add(ino_of_B, client, slot);  ...  idx.remove(ino_of_B);
//   answer_claim(bytes, n, fds, idx, client, describe);   // closes every fd in fds
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stackd/abi/attach.h"

namespace stackd::ipc {

// The B ends stackd holds, by their inode: whose (an opaque owner, the
// attached client) and which slot. One lookup per claim, no scan.
class FdIndex {
 public:
  struct Entry {
    const void* owner = nullptr;
    uint32_t slot = 0;
  };
  void add(uint64_t ino, const void* owner, uint32_t slot) { by_ino_[ino] = Entry{owner, slot}; }
  void remove(uint64_t ino) { by_ino_.erase(ino); }
  std::optional<Entry> find(uint64_t ino) const;
  size_t size() const { return by_ino_.size(); }

 private:
  std::unordered_map<uint64_t, Entry> by_ino_;
};

// st_ino of fd (0 when fstat fails).
uint64_t inode_of_fd(int fd);

// Serve one Claim message of client `owner`: `buf`/`n` the message, `fds`
// the fds it carried (every one is closed here, whatever happens): A, R
// and optionally N, the claimer's NETLINK_SOCK_DIAG socket (its network
// namespace's view, unix_peer_inode_via). The answer goes to R (fds[1])
// with MSG_DONTWAIT: status 0 and describe(slot) when A (fds[0]) pairs
// with a B of `owner`, ENOENT when with another client's, EBADF otherwise.
// Returns the status answered, or -1 when the message is malformed (not
// two or three fds, too short, R not a socket):
// then nothing is answered and R's close tells the claimer.
int answer_claim(const uint8_t* buf, size_t n, std::vector<int>& fds, const FdIndex& index, const void* owner,
                 const std::function<std::optional<abi::ClaimReply>(uint32_t slot)>& describe);

}  // namespace stackd::ipc
