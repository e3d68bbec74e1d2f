#include "ip/filter/log.h"

#include <algorithm>

namespace stackd::ip::filter {

bool TokenBucket::take(Instant now, uint32_t rate_per_sec, uint32_t burst) {
  const int64_t cost = 1'000'000'000 / std::max<uint32_t>(rate_per_sec, 1);
  const int64_t cap = cost * std::max<uint32_t>(burst, 1);
  if (credit_ns_ < 0) {
    credit_ns_ = cap;
  } else if (now > last_) {
    credit_ns_ = std::min(cap, credit_ns_ + (now - last_).ns);
  }
  last_ = std::max(last_, now);
  if (credit_ns_ < cost) return false;
  credit_ns_ -= cost;
  return true;
}

void LogRing::push(const LogRecord& r) {
  if (count_ == buf_.size()) {
    ++lost_;
    return;
  }
  buf_[(head_ + count_) % buf_.size()] = r;
  ++count_;
}

std::optional<LogRecord> LogRing::pop() {
  if (count_ == 0) return std::nullopt;
  LogRecord r = buf_[head_];
  head_ = (head_ + 1) % buf_.size();
  --count_;
  return r;
}

}  // namespace stackd::ip::filter
