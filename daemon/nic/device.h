// The device interface (STYLE.md #9): batched receive and transmit of
// PacketBufs. Back-ends (AF_XDP, TAP) and the in-memory devices implement
// it; wrappers (pcap writer, fault injector) take a Device and are one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "buf/pool.h"

namespace stackd::nic {

struct DeviceInfo {
  std::string name;
  MacAddr mac;
  uint32_t mtu = 1500;  // L3 MTU: the largest IP packet, Ethernet header not counted
};

class Device {
 public:
  virtual ~Device() = default;

  virtual const DeviceInfo& info() const = 0;

  // Move up to out.size() received frames (Ethernet header first) into
  // `out`; returns how many. Never blocks.
  virtual size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) = 0;

  // Transmit a prefix of `pkts`; returns how many were taken (those handles
  // are left empty). Frames not taken stay with the caller (ring full).
  // Frames may come from any pool; a device copies when it must.
  virtual size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) = 0;

  // Where the stack allocates frames it will transmit on this device, so
  // that a back-end with its own frame memory (UMEM) avoids a copy.
  virtual buf::FramePool& tx_pool() = 0;

  // A file descriptor that becomes readable when rx_burst has work (the
  // runtime waits on it); -1 for devices that are polled only.
  virtual int wait_fd() const { return -1; }

  // Called after a batch of tx_burst calls: kick the hardware/kernel once.
  virtual void flush(Instant) {}
};

}  // namespace stackd::nic
