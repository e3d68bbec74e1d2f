#include "nic/pcap_writer.h"

#include <algorithm>

#include "base/byteorder.h"

namespace stackd::nic {

PcapWriter::PcapWriter(Device& inner, PcapSink& sink, PcapConfig cfg)
    : inner_(inner), sink_(sink), cfg_(cfg) {
  // Global header: magic, version 2.4, thiszone, sigfigs, snaplen, network.
  uint8_t h[kPcapGlobalHeaderLen];
  store_be32(h, cfg_.resolution == PcapResolution::kNanos ? kPcapMagicNanos : kPcapMagicMicros);
  store_be16(h + 4, kPcapVersionMajor);
  store_be16(h + 6, kPcapVersionMinor);
  store_be32(h + 8, 0);   // thiszone: timestamps are UTC
  store_be32(h + 12, 0);  // sigfigs
  store_be32(h + 16, cfg_.snaplen);
  store_be32(h + 20, kLinktypeEthernet);
  sink_.write(h);
}

void PcapWriter::append_record(std::span<const uint8_t> frame, Instant now) {
  int64_t ns = (now + cfg_.epoch_offset).ns;
  if (ns < 0) ns = 0;
  uint32_t sec = static_cast<uint32_t>(ns / 1'000'000'000);
  uint32_t frac = static_cast<uint32_t>(ns % 1'000'000'000);
  if (cfg_.resolution == PcapResolution::kMicros) frac /= 1000;
  uint32_t orig = static_cast<uint32_t>(frame.size());
  uint32_t incl = std::min(orig, cfg_.snaplen);

  size_t at = scratch_.size();
  scratch_.resize(at + kPcapRecordHeaderLen + incl);
  uint8_t* r = scratch_.data() + at;
  store_be32(r, sec);
  store_be32(r + 4, frac);
  store_be32(r + 8, incl);
  store_be32(r + 12, orig);
  std::copy_n(frame.data(), incl, r + kPcapRecordHeaderLen);
  ++records_;
}

size_t PcapWriter::rx_burst(std::span<buf::PacketBuf> out, Instant now) {
  size_t n = inner_.rx_burst(out, now);
  if (n == 0 || cfg_.mode == PcapMode::kTxOnly) return n;
  scratch_.clear();
  for (size_t i = 0; i < n; ++i) append_record(out[i].bytes(), now);
  sink_.write(scratch_);
  return n;
}

size_t PcapWriter::tx_burst(std::span<buf::PacketBuf> pkts, Instant now) {
  if (cfg_.mode == PcapMode::kRxOnly) return inner_.tx_burst(pkts, now);
  // Record before the inner device takes the frames (it empties the
  // handles), but write out only the records of the frames it took.
  scratch_.clear();
  ends_.clear();
  uint64_t before = records_;
  for (auto& p : pkts) {
    append_record(p.bytes(), now);
    ends_.push_back(scratch_.size());
  }
  size_t taken = inner_.tx_burst(pkts, now);
  records_ = before + taken;
  if (taken > 0) sink_.write(std::span<const uint8_t>(scratch_.data(), ends_[taken - 1]));
  return taken;
}

}  // namespace stackd::nic
