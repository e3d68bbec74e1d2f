// Leveled logging: lines below the level are not written (nor formatted),
// lines at or above it carry a UTC timestamp and the level.
#include "app/log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <string>

namespace stackd::app {
namespace {

class LogTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(fds_), 0);
    log::set_fd(fds_[1]);
  }
  void TearDown() override {
    log::set_fd(STDERR_FILENO);
    log::set_level(LogLevel::kInfo);
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string drain() {
    close(fds_[1]);
    fds_[1] = dup(STDERR_FILENO);  // TearDown closes something valid
    log::set_fd(STDERR_FILENO);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  int fds_[2] = {-1, -1};
};

struct Counted {
  int* n;
};

}  // namespace
}  // namespace stackd::app

template <>
struct fmt::formatter<stackd::app::Counted> : fmt::formatter<int> {
  auto format(const stackd::app::Counted& c, format_context& ctx) const {
    ++*c.n;
    return fmt::formatter<int>::format(*c.n, ctx);
  }
};

namespace stackd::app {
namespace {

TEST_F(LogTest, LevelFiltersAndLinesHaveTimestampAndLevel) {
  log::set_level(LogLevel::kWarn);
  int formatted = 0;
  log::info("hidden {}", Counted{&formatted});
  log::debug("hidden {}", Counted{&formatted});
  log::warn("shown {}", 1);
  log::error("also {}", "shown");
  log::raw("raw text\n");
  EXPECT_EQ(formatted, 0);  // disabled lines are never formatted
  std::string out = drain();
  std::regex re(
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z warn  shown 1\n"
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z error also shown\n"
      "raw text\n");
  EXPECT_TRUE(std::regex_match(out, re)) << out;
}

TEST_F(LogTest, DebugLevelShowsEverything) {
  log::set_level(LogLevel::kDebug);
  EXPECT_TRUE(log::enabled(LogLevel::kDebug));
  log::debug("d");
  log::info("i");
  std::string out = drain();
  EXPECT_NE(out.find("debug d\n"), std::string::npos) << out;
  EXPECT_NE(out.find("info  i\n"), std::string::npos) << out;
}

TEST_F(LogTest, FieldsDoNotChangeThePlainTextLine) {
  ASSERT_FALSE(log::using_journal());
  log::info({{"STACKD_INTERFACE", "veth0"}}, "interface {}: up", "veth0");
  std::string out = drain();
  EXPECT_NE(out.find("info  interface veth0: up\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("STACKD_INTERFACE"), std::string::npos) << out;
}

TEST_F(LogTest, JournalStreamMustNameTheFdsDeviceAndInode) {
  struct stat st {};
  ASSERT_EQ(fstat(fds_[1], &st), 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_TRUE(log::is_journal_stream(mine.c_str(), fds_[1]));
  EXPECT_FALSE(log::is_journal_stream(other.c_str(), fds_[1]));  // stderr redirected since
  EXPECT_FALSE(log::is_journal_stream(nullptr, fds_[1]));        // not under systemd
  EXPECT_FALSE(log::is_journal_stream("garbage", fds_[1]));
}

TEST_F(LogTest, JournalEntryHasPriorityMessageIdentifierAndFields) {
  log::Field f[] = {{"STACKD_INTERFACE", "eth1"}, {"STACKD_CONFIG_LINE", "12"}};
  auto e = log::journal_fields(LogLevel::kWarn, "link down", f);
  std::vector<std::string> want = {"PRIORITY=4", "MESSAGE=link down", "SYSLOG_IDENTIFIER=stackd",
                                   "STACKD_INTERFACE=eth1", "STACKD_CONFIG_LINE=12"};
  EXPECT_EQ(e, want);
  EXPECT_EQ(log::journal_fields(LogLevel::kError, "x", {})[0], "PRIORITY=3");
  EXPECT_EQ(log::journal_fields(LogLevel::kInfo, "x", {})[0], "PRIORITY=6");
  EXPECT_EQ(log::journal_fields(LogLevel::kDebug, "x", {})[0], "PRIORITY=7");
}

}  // namespace
}  // namespace stackd::app
