// TapDevice: a nic::Device over a Linux TAP interface (/dev/net/tun,
// IFF_TAP | IFF_NO_PI), driven by io_uring so reads and writes are batched:
//
//   kernel tap --(rx_depth reads in flight into FixedPool frames)--> CQ
//     -> rx_burst harvests completed reads (the frame is the PacketBuf)
//   tx_burst: one write SQE per frame, one io_uring_submit per burst; the
//     frame stays in its slot until the write completes, then returns to
//     its pool (any pool: no copy)
//   wait_fd(): an eventfd registered with the ring; readable when a CQE
//     arrived. rx_burst clears it.
//
// The tap's kernel side is the Linux peer (or it is moved into a namespace
// and used from there); the stack's MAC is ours, not the tap's.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/addr.h"
#include "buf/pool.h"
#include "nic/device.h"

namespace stackd::nic {

struct TapConfig {
  std::string ifname;  // created if missing, attached if it exists
  std::string tun_path = "/dev/net/tun";
  MacAddr mac{};               // the stack's MAC; zero: 02:5d:xx derived from ifname
  uint32_t mtu = 1500;         // L3 MTU; also set on the kernel side when configure_link
  bool configure_link = true;  // set the kernel side's MTU and bring it up
  uint32_t frame_count = 1024;
  uint32_t frame_size = 2048;
  uint32_t rx_depth = 64;   // reads kept in flight
  uint32_t tx_depth = 256;  // writes in flight at most
};

class TapDevice final : public Device {
 public:
  static std::variant<std::unique_ptr<TapDevice>, std::string> open(const TapConfig& cfg);
  ~TapDevice() override;  // cancels in-flight I/O, waits for it, closes the tap

  const DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return pool_; }
  int wait_fd() const override { return event_fd_; }

  // Kernel side of the tap (ioctl on the namespace the device was opened
  // in). Return "" or an error message.
  std::string set_mtu(uint32_t mtu);
  std::string set_up(bool up);

  int tap_fd() const { return tap_fd_; }
  uint32_t reads_in_flight() const { return reads_in_flight_; }
  uint32_t writes_in_flight() const { return writes_in_flight_; }
  uint64_t rx_errors() const { return rx_errors_; }
  uint64_t tx_errors() const { return tx_errors_; }

 private:
  enum class Op : uint8_t { kNone, kRead, kWrite };
  struct Slot {
    buf::PacketBuf buf;
    Op op = Op::kNone;
  };

  explicit TapDevice(const TapConfig& cfg);
  void reap();
  void arm_reads();
  void drain_eventfd();

  TapConfig cfg_;
  DeviceInfo info_;
  int tap_fd_ = -1;
  int event_fd_ = -1;
  bool ring_ok_ = false;
  io_uring ring_{};
  // The pool outlives the slots and the ready queue (declared first).
  buf::FixedPool pool_;
  std::vector<Slot> slots_;  // user_data of an SQE is its slot index
  std::vector<uint32_t> free_slots_;
  std::vector<buf::PacketBuf> ready_;  // completed reads, a ring of rx_depth
  uint32_t ready_head_ = 0;
  uint32_t ready_count_ = 0;
  uint32_t reads_in_flight_ = 0;
  uint32_t writes_in_flight_ = 0;
  uint64_t rx_errors_ = 0;
  uint64_t tx_errors_ = 0;
};

}  // namespace stackd::nic
