// PcapWriter: a Device that wraps any Device and records the frames it
// receives and transmits in the classic libpcap file format (smoltcp
// src/phy/pcap_writer.rs; format: https://wiki.wireshark.org/Development/LibpcapFileFormat,
// draft-ietf-opsawg-pcap). LINKTYPE_ETHERNET, micro- or nanosecond
// timestamps taken from the `now` each call is given.
//
// The stack core does no I/O, so the bytes go to a PcapSink: an in-memory
// VectorPcapSink here, a file sink in the daemon. The file is written in
// big-endian byte order (magic a1 b2 c3 d4 / a1 b2 3c 4d on disk); readers
// detect the order from the magic number.
//
// A transmitted frame is recorded only if the inner device took it, so a
// frame the ring refused and the stack retries later is recorded once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nic/device.h"

namespace stackd::nic {

class PcapSink {
 public:
  virtual ~PcapSink() = default;
  virtual void write(std::span<const uint8_t> bytes) = 0;
};

class VectorPcapSink final : public PcapSink {
 public:
  void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
  std::vector<uint8_t> bytes;
};

enum class PcapMode : uint8_t { kBoth, kRxOnly, kTxOnly };
enum class PcapResolution : uint8_t { kMicros, kNanos };

struct PcapConfig {
  PcapMode mode = PcapMode::kBoth;
  PcapResolution resolution = PcapResolution::kNanos;
  uint32_t snaplen = 65535;  // bytes of each frame kept
  // Added to `now` for the record timestamps (the daemon passes the offset
  // from CLOCK_MONOTONIC to the wall clock so captures show real dates).
  Duration epoch_offset = Duration::zero();
};

// libpcap file format constants.
inline constexpr uint32_t kPcapMagicMicros = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNanos = 0xa1b23c4d;
inline constexpr uint16_t kPcapVersionMajor = 2;
inline constexpr uint16_t kPcapVersionMinor = 4;
inline constexpr uint32_t kLinktypeEthernet = 1;
inline constexpr size_t kPcapGlobalHeaderLen = 24;
inline constexpr size_t kPcapRecordHeaderLen = 16;

class PcapWriter final : public Device {
 public:
  // Writes the global header to `sink` at once.
  PcapWriter(Device& inner, PcapSink& sink, PcapConfig cfg = {});

  const DeviceInfo& info() const override { return inner_.info(); }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return inner_.tx_pool(); }
  int wait_fd() const override { return inner_.wait_fd(); }
  void flush(Instant now) override { inner_.flush(now); }

  uint64_t records() const { return records_; }

 private:
  // Append one record (header + captured bytes) to scratch_.
  void append_record(std::span<const uint8_t> frame, Instant now);

  Device& inner_;
  PcapSink& sink_;
  PcapConfig cfg_;
  uint64_t records_ = 0;
  std::vector<uint8_t> scratch_;
  std::vector<size_t> ends_;  // end offset in scratch_ of each tx record
};

}  // namespace stackd::nic
