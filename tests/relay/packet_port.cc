#include "packet_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace stackd::relay {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_int(int fd, int level, int opt, int value, const char* what) {
  if (setsockopt(fd, level, opt, &value, sizeof value) != 0) fail(what);
}

}  // namespace

PacketPort::PacketPort(const std::string& ifname)
    : name_(ifname), rx_buf_(kBatch * kSlotBytes) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) fail("interface " + ifname);
  // Protocol 0 at socket(): nothing is queued before bind() names the
  // interface, so no frame of another interface ever slips in.
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail("socket(AF_PACKET)");
  // Our own transmissions on this interface are not input.
  set_int(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
  // Room for bursts: a 1 Gbit/s burst of 10 ms is 1.25 MB of frames.
  set_int(fd_, SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20, "SO_RCVBUFFORCE");
  set_int(fd_, SOL_SOCKET, SO_SNDBUFFORCE, 16 << 20, "SO_SNDBUFFORCE");
  // The veth does not queue; skipping the qdisc layer saves per-frame work.
  set_int(fd_, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(index);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind " + ifname);

  // Frames for other MAC addresses too: the relay stands in for a wire.
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(index);
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) fail("promisc " + ifname);

  for (size_t i = 0; i < kBatch; ++i) {
    rx_iov_[i] = {rx_buf_.data() + i * kSlotBytes, kSlotBytes};
    rx_msg_[i] = {};
    rx_msg_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msg_[i].msg_hdr.msg_iovlen = 1;
  }
  tx_msg_.resize(kBatch);
}

PacketPort::~PacketPort() {
  if (fd_ >= 0) close(fd_);
}

size_t PacketPort::receive(uint64_t& truncated) {
  for (auto& m : rx_msg_) m.msg_hdr.msg_flags = 0;
  int n = recvmmsg(fd_, rx_msg_.data(), kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    fail("recvmmsg " + name_);
  }
  // Compact: drop truncated frames so the caller sees only whole ones.
  size_t kept = 0;
  for (int i = 0; i < n; ++i) {
    size_t len = rx_msg_[i].msg_len;
    if ((rx_msg_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len > kSlotBytes) {
      ++truncated;
      continue;
    }
    if (kept != static_cast<size_t>(i)) {
      std::memcpy(rx_buf_.data() + kept * kSlotBytes, rx_buf_.data() + i * kSlotBytes, len);
    }
    rx_len_[kept++] = len;
  }
  return kept;
}

uint64_t PacketPort::take_kernel_drops() {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) fail("PACKET_STATISTICS");
  return st.tp_drops;
}

size_t PacketPort::send(std::span<iovec> frames) {
  size_t refused = 0;
  size_t done = 0;
  int retries = 0;
  while (done < frames.size()) {
    size_t n = std::min(frames.size() - done, tx_msg_.size());
    for (size_t i = 0; i < n; ++i) {
      tx_msg_[i] = {};
      tx_msg_[i].msg_hdr.msg_iov = &frames[done + i];
      tx_msg_[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd_, tx_msg_.data(), static_cast<unsigned>(n), 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if ((errno == ENOBUFS || errno == EAGAIN) && ++retries < 1000) {
        // Transient: let the device drain (at most ~50 ms), then retry.
        usleep(50);
        continue;
      }
      retries = 0;
      // The frame at `done` is refused (e.g. EMSGSIZE); skip it.
      ++refused;
      ++done;
      continue;
    }
    done += static_cast<size_t>(sent);
  }
  return refused;
}

}  // namespace stackd::relay
