// AfXdpDevice: a nic::Device over one AF_XDP socket (queue 0 of a kernel
// interface), copy or zero-copy as the driver allows.
//
//   NIC -> XDP program (steer_program.h: only frames for our addresses)
//       -> XSK RX ring -> rx_burst: PacketBufs over UMEM frames, no copy
//   stack allocates from tx_pool() (the same UMEM), builds frames in place
//       -> tx_burst posts their addresses on the TX ring -> flush kicks once
//   completion ring -> frames back to the free list -> fill ring (batched)
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>

#include "base/addr.h"
#include "nic/af_xdp/steer_program.h"
#include "nic/af_xdp/umem_pool.h"
#include "nic/device.h"

struct xsk_umem;
struct xsk_socket;

namespace stackd::nic {

struct AfXdpConfig {
  std::string ifname;
  uint32_t queue = 0;
  // UMEM: frame_count * frame_size bytes, locked in memory. Must fit
  // RLIMIT_MEMLOCK (8 MiB on our hosts) together with the rings.
  uint32_t frame_count = 2048;
  uint32_t frame_size = 2048;  // power of two: 2048 or 4096
  uint32_t ring_size = 1024;   // RX, TX, fill and completion rings (power of two)
  // Frames kept posted on the fill ring for receive; the rest serve TX.
  uint32_t rx_frames = 1024;
  uint32_t steer_flags = kSteerV4BcastMcast;  // kSteerAllArp, kSteerV4BcastMcast, kSteerV6RouterAdvert
  bool allow_skb_mode = true;                 // fall back to generic XDP if native fails
};

class AfXdpDevice final : public Device {
 public:
  static std::variant<std::unique_ptr<AfXdpDevice>, std::string> open(const AfXdpConfig& cfg);
  ~AfXdpDevice() override;  // closes the socket, detaches the program, frees the UMEM

  const DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return *pool_; }
  int wait_fd() const override { return fd_; }
  void flush(Instant now) override;

  // IPv4 addresses whose frames (and ARP) the XDP program steers to us.
  std::string set_addresses(std::span<const Ipv4Addr> addrs);
  // IPv6 addresses (and ND for them) the XDP program steers to us.
  std::string set_addresses6(std::span<const Ipv6Addr> addrs);

  SteerProgram::Mode mode() const { return prog_->mode(); }
  const char* mode_name() const { return mode() == SteerProgram::Mode::kNative ? "native" : "skb"; }
  uint32_t prog_id() const { return prog_->prog_id(); }
  int ifindex() const { return ifindex_; }
  // Frames posted on TX and not yet completed by the kernel.
  uint32_t tx_outstanding() const { return tx_outstanding_; }
  // Frames from another pool too large for a UMEM frame (taken, dropped).
  uint64_t tx_dropped_oversize() const { return tx_dropped_oversize_; }

 private:
  struct Rings;
  AfXdpDevice();
  void refill();
  void reap_completions();
  void kick_tx();

  DeviceInfo info_;
  AfXdpConfig cfg_;
  int ifindex_ = 0;
  int fd_ = -1;
  uint32_t rx_posted_ = 0;  // frames on the fill ring or in the RX ring
  uint32_t tx_outstanding_ = 0;
  uint32_t tx_unkicked_ = 0;
  uint64_t tx_dropped_oversize_ = 0;
  std::unique_ptr<Rings> rings_;
  std::unique_ptr<UmemPool> pool_;
  std::unique_ptr<SteerProgram> prog_;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
};

}  // namespace stackd::nic
