#include "control/capture.h"

#include <algorithm>
#include <cstring>

namespace stackd::control {

std::shared_ptr<CaptureSession> CaptureSession::create(const std::string& filter, uint32_t snaplen,
                                                       uint16_t ifindex, std::string* err) {
  std::shared_ptr<CaptureSession> s(new CaptureSession());
  if (snaplen != 0) s->snaplen_ = std::min<uint32_t>(snaplen, 262144);
  s->ifindex_ = ifindex;
  if (!filter.empty()) {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, static_cast<int>(s->snaplen_));
    if (dead == nullptr) {
      *err = "pcap_open_dead failed";
      return nullptr;
    }
    if (pcap_compile(dead, &s->prog_, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      *err = std::string("filter: ") + pcap_geterr(dead);
      pcap_close(dead);
      return nullptr;
    }
    pcap_close(dead);
    s->have_prog_ = true;
  }
  return s;
}

CaptureSession::~CaptureSession() {
  if (have_prog_) pcap_freecode(&prog_);
}

void CaptureSession::offer(uint16_t ifindex, bool outgoing, std::span<const uint8_t> frame, Instant now) {
  if (ifindex_ != 0 && ifindex != ifindex_) return;
  const auto len = static_cast<u_int>(frame.size());
  // bpf_filter returns the snapshot length to keep, 0 = no match.
  if (have_prog_ && bpf_filter(prog_.bf_insns, frame.data(), len, len) == 0) return;
  CapturedFrame f;
  f.ifindex = ifindex;
  f.outgoing = outgoing;
  f.mono_ns = now.ns;
  f.orig_len = len;
  f.data.assign(frame.begin(), frame.begin() + std::min<size_t>(frame.size(), snaplen_));
  {
    std::lock_guard<std::mutex> g(mu_);
    if (q_.size() >= kMaxQueued) {
      ++dropped_;
      return;
    }
    q_.push_back(std::move(f));
  }
  cv_.notify_one();
}

void CaptureSession::take(std::vector<CapturedFrame>* out, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> g(mu_);
  cv_.wait_for(g, wait, [&] { return !q_.empty(); });
  for (auto& f : q_) out->push_back(std::move(f));
  q_.clear();
}

uint64_t CaptureSession::dropped() const {
  std::lock_guard<std::mutex> g(mu_);
  return dropped_;
}

void CaptureHub::add(stack::Stack& s, std::shared_ptr<CaptureSession> session) {
  sessions_.push_back(std::move(session));
  s.set_tap(this);
}

void CaptureHub::remove(stack::Stack& s, const std::shared_ptr<CaptureSession>& session) {
  std::erase(sessions_, session);
  if (sessions_.empty()) s.set_tap(nullptr);  // back to one branch per frame
}

void CaptureHub::frame(uint16_t ifindex, bool outgoing, std::span<const uint8_t> frame, Instant now) {
  for (auto& s : sessions_) s->offer(ifindex, outgoing, frame, now);
}

}  // namespace stackd::control
