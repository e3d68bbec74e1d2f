// One end of the relay: an AF_PACKET raw socket bound to one interface,
// receiving and sending frames in batches (recvmmsg/sendmmsg).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace stackd::relay {

class PacketPort {
 public:
  static constexpr size_t kBatch = 64;
  // Large enough for a jumbo frame; a bigger one means offloads are still on
  // (a GSO/GRO super-frame) and is dropped and counted as oversize.
  static constexpr size_t kSlotBytes = 10 * 1024;

  // Opens and binds the socket; throws std::system_error.
  explicit PacketPort(const std::string& ifname);
  ~PacketPort();
  PacketPort(const PacketPort&) = delete;
  PacketPort& operator=(const PacketPort&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

  // Receives up to kBatch frames without blocking. Returns how many; frame i
  // is rx_frame(i) until the next call. `truncated` counts frames cut to
  // kSlotBytes, which are not returned.
  size_t receive(uint64_t& truncated);
  std::span<uint8_t> rx_frame(size_t i) { return {rx_buf_.data() + i * kSlotBytes, rx_len_[i]}; }

  // Sends the frames, blocking while the socket's send buffer is full.
  // Returns the number of frames the kernel refused.
  size_t send(std::span<iovec> frames);

  // Frames the kernel dropped because the socket's receive queue was full
  // (PACKET_STATISTICS) since the last call: the relay falling behind.
  uint64_t take_kernel_drops();

 private:
  std::string name_;
  int fd_ = -1;
  std::vector<uint8_t> rx_buf_;
  std::array<size_t, kBatch> rx_len_{};
  std::array<iovec, kBatch> rx_iov_{};
  std::array<mmsghdr, kBatch> rx_msg_{};
  std::vector<mmsghdr> tx_msg_;
};

}  // namespace stackd::relay
