// FrameTap: a copy of every frame the stack receives or transmits, for
// packet capture (the control plane's Capture service, `stackctl capture`).
// The stack holds a pointer that is null unless a capture runs, so the
// cost without one is one load and one branch per frame. Called on the
// worker's thread; the frame is only borrowed for the call.
#pragma once

#include <cstdint>
#include <span>

#include "base/time.h"

namespace stackd::stack {

class FrameTap {
 public:
  virtual ~FrameTap() = default;
  // `frame` starts with the Ethernet header; outgoing = being transmitted.
  virtual void frame(uint16_t ifindex, bool outgoing, std::span<const uint8_t> frame, Instant now) = 0;
};

}  // namespace stackd::stack
