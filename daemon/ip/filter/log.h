// The firewall's `log` action. The core does no I/O, so a logged packet
// becomes a LogRecord in a bounded ring the daemon drains (pop()) and
// writes to its log; a full ring counts the record as lost. Each logging
// rule has a token bucket (rate per second, burst) so a flood cannot
// flood the log: records over the rate are counted as suppressed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.h"
#include "ip/filter/packet_meta.h"
#include "ip/filter/rule.h"

namespace stackd::ip::filter {

// Credit in nanoseconds (Linux xt_limit style): a record costs
// 1e9 / rate ns of credit, credit grows with time up to burst records.
class TokenBucket {
 public:
  bool take(Instant now, uint32_t rate_per_sec, uint32_t burst);

 private:
  int64_t credit_ns_ = -1;  // -1: never used, starts full
  Instant last_{};
};

struct LogRecord {
  Instant at;
  uint64_t handle = 0;  // the logging rule
  Hook hook = Hook::kInput;
  Action action = Action::kContinue;  // the rule's verdict
  CtState ct = CtState::kUntracked;
  std::array<char, LogSpec::kMaxPrefix + 1> prefix{};  // NUL-terminated
  PacketMeta pkt;
};

class LogRing {
 public:
  explicit LogRing(size_t capacity) : buf_(capacity == 0 ? 1 : capacity) {}
  void push(const LogRecord& r);
  std::optional<LogRecord> pop();
  size_t size() const { return count_; }
  uint64_t lost() const { return lost_; }              // ring was full
  uint64_t suppressed() const { return suppressed_; }  // over the rate
  void count_suppressed() { ++suppressed_; }

 private:
  std::vector<LogRecord> buf_;
  size_t head_ = 0, count_ = 0;
  uint64_t lost_ = 0, suppressed_ = 0;
};

}  // namespace stackd::ip::filter
