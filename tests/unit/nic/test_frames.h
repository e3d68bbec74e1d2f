// Frames for the device tests: an Ethernet header (EtherType 0x88b5, the
// IEEE local experimental type) followed by a 32-bit sequence number and
// filler, so a test can tell which frame is which after impairment.
#pragma once

#include <cstdint>
#include <vector>

#include "base/byteorder.h"
#include "buf/pool.h"

namespace stackd::nic::testing {

inline std::vector<uint8_t> frame_bytes(uint32_t seq, uint32_t len = 64) {
  std::vector<uint8_t> f(len < 18 ? 18 : len);
  for (int i = 0; i < 6; ++i) f[static_cast<size_t>(i)] = 0xff;  // broadcast
  f[6] = 0x02;                                                   // locally administered
  f[11] = 0x01;
  store_be16(f.data() + 12, 0x88b5);
  store_be32(f.data() + 14, seq);
  for (size_t i = 18; i < f.size(); ++i) f[i] = static_cast<uint8_t>(seq + i);
  return f;
}

inline buf::PacketBuf make_frame(buf::FramePool& pool, uint32_t seq, uint32_t len = 64) {
  auto bytes = frame_bytes(seq, len);
  buf::PacketBuf p = pool.alloc(static_cast<uint32_t>(bytes.size()));
  if (!p || !p.append(static_cast<uint32_t>(bytes.size()))) return {};
  for (size_t i = 0; i < bytes.size(); ++i) p.data()[i] = bytes[i];
  return p;
}

inline uint32_t frame_seq(const buf::PacketBuf& p) {
  return load_be32(p.data() + 14);
}

}  // namespace stackd::nic::testing
