#include "base/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

namespace stackd {
namespace {

constexpr Instant kT0 = Instant::from_nanos(1'000'000'000);

TimerWheel make_wheel(uint32_t capacity = 1024) {
  return TimerWheel({.start = kT0, .tick = Duration::millis(1), .capacity = capacity});
}

std::vector<uint32_t> expire_objects(TimerWheel& w, Instant now) {
  std::vector<uint32_t> out;
  w.expire(now, [&](const TimerWheel::Fired& f) { out.push_back(f.object); });
  return out;
}

TEST(TimerWheel, FiresInDeadlineOrderAndNeverEarly) {
  auto w = make_wheel();
  w.start(kT0 + Duration::millis(30), 3, 0);
  w.start(kT0 + Duration::millis(10), 1, 0);
  w.start(kT0 + Duration::millis(2000), 4, 0);  // level 1
  w.start(kT0 + Duration::millis(20), 2, 0);
  EXPECT_TRUE(expire_objects(w, kT0 + Duration::millis(9)).empty());
  EXPECT_TRUE(expire_objects(w, kT0 + Duration::micros(9999)).empty());  // 1 us early
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(25)), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(expire_objects(w, kT0 + Duration::seconds(5)), (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(w.next_deadline().is_never());
}

TEST(TimerWheel, DeadlinesRoundUpToTheTick) {
  auto w = make_wheel();
  w.start(kT0 + Duration::micros(1500), 7, 2);
  EXPECT_EQ(w.fire_time(kT0 + Duration::micros(1500)), kT0 + Duration::millis(2));
  EXPECT_TRUE(expire_objects(w, kT0 + Duration::micros(1999)).empty());
  std::vector<TimerWheel::Fired> fired;
  w.expire(kT0 + Duration::millis(2), [&](const TimerWheel::Fired& f) { fired.push_back(f); });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].object, 7u);
  EXPECT_EQ(fired[0].kind, 2);
  EXPECT_EQ(fired[0].deadline, kT0 + Duration::micros(1500));
}

TEST(TimerWheel, StopCancelsAndStaleHandlesAreHarmless) {
  auto w = make_wheel();
  TimerHandle a = w.start(kT0 + Duration::millis(5), 1, 0);
  TimerHandle b = w.start(kT0 + Duration::millis(5), 2, 0);
  TimerHandle a_copy = a;
  EXPECT_TRUE(w.armed(a));
  EXPECT_TRUE(w.stop(a));
  EXPECT_FALSE(a.valid());
  EXPECT_FALSE(w.stop(a_copy));  // already stopped
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(5)), (std::vector<uint32_t>{2}));
  EXPECT_FALSE(w.armed(b));  // fired
  // b's entry is reused by a new timer; the stale handle must not stop it.
  TimerHandle c = w.start(kT0 + Duration::millis(9), 3, 0);
  EXPECT_FALSE(w.stop(b));
  EXPECT_TRUE(w.armed(c));
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(9)), (std::vector<uint32_t>{3}));
}

TEST(TimerWheel, RestartMovesTheDeadline) {
  auto w = make_wheel();
  TimerHandle h = w.start(kT0 + Duration::millis(100), 1, 0);
  w.restart(h, kT0 + Duration::millis(5), 1, 0);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(5)), (std::vector<uint32_t>{1}));
  h = w.start(kT0 + Duration::millis(10), 2, 0);
  w.restart(h, kT0 + Duration::millis(500), 2, 0);
  EXPECT_TRUE(expire_objects(w, kT0 + Duration::millis(499)).empty());
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(500)), (std::vector<uint32_t>{2}));
}

TEST(TimerWheel, FarTimersCascadeDown) {
  auto w = make_wheel();
  // One per level and one past 2^24 ticks (parked at the top and re-placed).
  const int64_t ms[] = {
      50, 3'000, 200'000, 10'000'000, (int64_t{1} << 24) + 12'345, (int64_t{1} << 26) + 7};
  for (uint32_t i = 0; i < 6; ++i) w.start(kT0 + Duration::millis(ms[i]), i, 0);
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(expire_objects(w, kT0 + Duration::millis(ms[i] - 1)).empty()) << i;
    EXPECT_LE(w.next_deadline(), kT0 + Duration::millis(ms[i])) << i;
    EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(ms[i])), (std::vector<uint32_t>{i}));
  }
}

TEST(TimerWheel, OverdueTimersFireAtOnce) {
  auto w = make_wheel();
  expire_objects(w, kT0 + Duration::millis(100));
  w.start(kT0 + Duration::millis(50), 2, 0);  // already past
  w.start(kT0 + Duration::millis(10), 1, 0);
  w.start(kT0 - Duration::seconds(1), 0, 0);  // before the wheel's start
  EXPECT_LE(w.next_deadline(), kT0 + Duration::millis(100));
  EXPECT_EQ(expire_objects(w, kT0 + Duration::millis(100)), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(TimerWheel, CallbackRearmDoesNotLoop) {
  auto w = make_wheel();
  w.start(kT0 + Duration::millis(1), 1, 0);
  int calls = 0;
  auto now = kT0 + Duration::millis(1);
  w.expire(now, [&](const TimerWheel::Fired& f) {
    ++calls;
    w.start(now, f.object, f.kind);  // due at once: next expire() call
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(expire_objects(w, now).size(), 1u);
}

TEST(TimerWheel, PeriodicRearmFromCallback) {
  // A keepalive-style timer re-armed from its own callback every 7 ms.
  auto w = make_wheel();
  w.start(kT0 + Duration::millis(7), 1, 3);
  Instant now = kT0;
  std::vector<Instant> fired;
  for (int i = 0; i < 1000; ++i) {
    now += Duration::millis(1);
    w.expire(now, [&](const TimerWheel::Fired& f) {
      fired.push_back(now);
      w.start(f.deadline + Duration::millis(7), f.object, f.kind);
    });
  }
  ASSERT_EQ(fired.size(), 1000u / 7);
  for (size_t i = 0; i < fired.size(); ++i)
    EXPECT_EQ(fired[i], kT0 + Duration::millis(7 * static_cast<int64_t>(i + 1)));
}

TEST(TimerWheel, CallbackMayStopAnotherDueTimer) {
  auto w = make_wheel();
  // Whichever fires first stops the other (e.g. a connection torn down
  // by its retransmit timer stops its keepalive timer).
  TimerHandle h[2] = {w.start(kT0 + Duration::millis(3), 0, 0),
                      w.start(kT0 + Duration::millis(3), 1, 0)};
  std::vector<uint32_t> fired;
  w.expire(kT0 + Duration::millis(3), [&](const TimerWheel::Fired& f) {
    fired.push_back(f.object);
    EXPECT_TRUE(w.stop(h[1 - f.object]));
  });
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, PoolIsBounded) {
  auto w = make_wheel(2);
  EXPECT_TRUE(w.start(kT0 + Duration::millis(1), 1, 0).valid());
  TimerHandle b = w.start(kT0 + Duration::millis(1), 2, 0);
  EXPECT_TRUE(b.valid());
  EXPECT_FALSE(w.start(kT0 + Duration::millis(1), 3, 0).valid());
  w.stop(b);
  EXPECT_TRUE(w.start(kT0 + Duration::millis(1), 3, 0).valid());
}

TEST(TimerWheel, IdleJumpSkipsEmptyTicks) {
  // An hour of idle time must not cost 3.6 million tick visits: this test
  // would time out if expire walked every tick.
  auto w = make_wheel();
  Instant now = kT0;
  for (int i = 0; i < 2000; ++i) {
    now += Duration::seconds(3600);
    w.start(now + Duration::seconds(1800), static_cast<uint32_t>(i), 0);
    ASSERT_EQ(expire_objects(w, now).size(), i == 0 ? 0u : 1u);
  }
}

// Brute-force model: the fire time of every armed timer.
struct Model {
  std::map<uint32_t, std::pair<TimerHandle, Instant>> armed;  // id -> (handle, fire time)
};

TEST(TimerWheel, MatchesBruteForceModelUnderRandomWorkload) {
  for (uint64_t seed : {1ull, 42ull, 0x9e3779b97f4a7c15ull}) {
    auto w = TimerWheel({.start = kT0, .tick = Duration::micros(250), .capacity = 512});
    Model m;
    uint64_t x = seed;
    auto rnd = [&x]() {  // xorshift64
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    Instant now = kT0;
    uint32_t next_id = 0;
    for (int op = 0; op < 4000; ++op) {
      uint64_t r = rnd() % 100;
      if (r < 45) {
        // Delays from sub-tick to beyond 2^24 ticks, a few in the past.
        int64_t scale[] = {1'000, 100'000, 10'000'000, 1'000'000'000, 40'000'000'000'000};
        int64_t d = static_cast<int64_t>(rnd() % static_cast<uint64_t>(scale[rnd() % 5]));
        if (rnd() % 20 == 0) d = -d;
        Instant dl = now + Duration::nanos(d);
        TimerHandle h = w.start(dl, next_id, static_cast<uint8_t>(next_id & 7));
        if (!h.valid()) {
          ASSERT_EQ(m.armed.size(), w.capacity());
          continue;
        }
        m.armed[next_id++] = {h, w.fire_time(dl)};
      } else if (r < 60 && !m.armed.empty()) {
        auto it = m.armed.begin();
        std::advance(it, static_cast<long>(rnd() % m.armed.size()));
        ASSERT_TRUE(w.stop(it->second.first));
        m.armed.erase(it);
      } else {
        int64_t scale[] = {300'000, 30'000'000, 3'000'000'000, 900'000'000'000};
        now +=
            Duration::nanos(static_cast<int64_t>(rnd() % static_cast<uint64_t>(scale[rnd() % 4])));
        std::vector<TimerWheel::Fired> fired;
        w.expire(now, [&](const TimerWheel::Fired& f) { fired.push_back(f); });
        std::vector<std::pair<Instant, uint32_t>> want;
        for (auto& [id, v] : m.armed)
          if (v.second <= now) want.push_back({v.second, id});
        ASSERT_EQ(fired.size(), want.size()) << "seed " << seed << " op " << op;
        Instant prev = Instant::from_nanos(INT64_MIN);
        for (auto& f : fired) {
          auto it = m.armed.find(f.object);
          ASSERT_NE(it, m.armed.end());
          ASSERT_LE(it->second.second, now);
          ASSERT_GE(it->second.second, prev) << "out of order";
          prev = it->second.second;
          m.armed.erase(it);
        }
      }
      ASSERT_EQ(w.size(), m.armed.size());
      Instant earliest_fire = Instant::never();
      for (auto& [id, v] : m.armed) earliest_fire = earliest(earliest_fire, v.second);
      Instant nd = w.next_deadline();
      ASSERT_LE(nd, earliest_fire) << "seed " << seed << " op " << op;
      if (m.armed.empty()) {
        ASSERT_TRUE(nd.is_never());
      }
    }
  }
}

}  // namespace
}  // namespace stackd
