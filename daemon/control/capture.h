// Packet capture for the Capture service: a tcpdump expression compiled
// with libpcap (pcap_compile on a dead DLT_EN10MB handle) and run with
// bpf_filter() on every frame the stack taps (stack/frame_tap.h), on the
// worker's thread. Matching frames are copied into the session's bounded
// queue; the RPC thread streams them out. A reader that falls behind
// loses frames (counted), the dataplane never waits for it.
//
//   RPC thread: auto s = CaptureSession::create(filter, snaplen, ifindex, &err);
//               queue.call: hub.add(s) (installs the tap on the first)
//               while (s->pop(...)) write;   queue.call: hub.remove(s)
#pragma once

#include <pcap/pcap.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stack/frame_tap.h"
#include "stack/stack.h"

namespace stackd::control {

struct CapturedFrame {
  uint16_t ifindex = 0;
  bool outgoing = false;
  int64_t mono_ns = 0;   // the worker's Instant
  uint32_t orig_len = 0;
  std::vector<uint8_t> data;  // at most snaplen bytes
};

class CaptureSession {
 public:
  // nullptr + *err when the expression does not compile.
  static std::shared_ptr<CaptureSession> create(const std::string& filter, uint32_t snaplen,
                                                uint16_t ifindex, std::string* err);
  ~CaptureSession();
  CaptureSession(const CaptureSession&) = delete;
  CaptureSession& operator=(const CaptureSession&) = delete;

  // Worker: filter and enqueue.
  void offer(uint16_t ifindex, bool outgoing, std::span<const uint8_t> frame, Instant now);
  // RPC thread: wait up to `wait` for frames, move them to *out.
  void take(std::vector<CapturedFrame>* out, std::chrono::milliseconds wait);
  uint64_t dropped() const;
  uint32_t snaplen() const { return snaplen_; }

  static constexpr size_t kMaxQueued = 8192;

 private:
  CaptureSession() = default;
  bpf_program prog_{};
  bool have_prog_ = false;
  uint32_t snaplen_ = 262144;
  uint16_t ifindex_ = 0;  // 0: every interface
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<CapturedFrame> q_;
  uint64_t dropped_ = 0;
};

// The stack's FrameTap while captures run. Sessions are added and removed
// on the worker's thread only (through the command queue).
class CaptureHub final : public stack::FrameTap {
 public:
  void add(stack::Stack& s, std::shared_ptr<CaptureSession> session);
  void remove(stack::Stack& s, const std::shared_ptr<CaptureSession>& session);
  void frame(uint16_t ifindex, bool outgoing, std::span<const uint8_t> frame, Instant now) override;
  size_t sessions() const { return sessions_.size(); }

 private:
  std::vector<std::shared_ptr<CaptureSession>> sessions_;
};

}  // namespace stackd::control
