// Issue 15 item 3: a config applied with SIGHUP that does not decode (a
// duration too long for its integer, a map where a scalar belongs, a bad
// drop-in, a directory where the file was) is reported and the running
// config kept; berthd serves on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SighupBadConfigTest : public RestoreFixture {
 protected:
  // Sends SIGHUP and waits for the reload's outcome line (the event that says
  // it was handled): the n-th one since berthd started.
  void Hup(size_t nth) {
    ASSERT_EQ(::kill(d_->pid(), SIGHUP), 0);
    auto outcomes = [&] {
      const std::string log = d_->Log();
      return Count(log, "SIGHUP: keeping") + Count(log, "SIGHUP: log level is now");
    };
    ASSERT_TRUE(WaitFor([&] { return outcomes() >= nth; }, std::chrono::seconds(30)))
        << "no reload reported:\n"
        << d_->Log();
  }
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  void ExpectServing() {
    rt::VersionRequest req;
    rt::VersionResponse resp;
    grpc::Status s = d_->runtime().Version(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << "berthd stopped serving: " << s.error_message() << "\n" << d_->Log();
  }
  static std::string Replace(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }
};

TEST_F(SighupBadConfigTest, BadConfigIsReportedAndTheRunningOneKept) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  const std::string good = Slurp(d_->config_path());
  ASSERT_THAT(good, HasSubstr("log_level: debug"));

  // 1. A duration whose number does not fit any integer.
  std::ofstream(d_->config_path(), std::ios::trunc)
      << good << "image_pull_progress_timeout: 99999999999999999999s\n";
  ASSERT_NO_FATAL_FAILURE(Hup(1));
  std::string log = d_->Log();
  EXPECT_THAT(log, HasSubstr("SIGHUP: keeping log level debug"));
  EXPECT_THAT(log, HasSubstr("image_pull_progress_timeout"));
  ExpectServing();

  // 2. A map where the log level's scalar belongs.
  std::ofstream(d_->config_path(), std::ios::trunc)
      << Replace(good, "log_level: debug", "log_level: {level: info}");
  ASSERT_NO_FATAL_FAILURE(Hup(2));
  EXPECT_EQ(Count(d_->Log(), "SIGHUP: keeping log level debug"), 2u) << d_->Log();
  ExpectServing();

  // 3. A good main file with a drop-in holding a list where a map belongs.
  std::ofstream(d_->config_path(), std::ios::trunc) << good;
  fs::create_directories(d_->config_path() + ".d");
  std::ofstream(d_->config_path() + ".d/50-bad.yaml") << "runtimes: [runc, kata]\n";
  ASSERT_NO_FATAL_FAILURE(Hup(3));
  log = d_->Log();
  EXPECT_EQ(Count(log, "SIGHUP: keeping log level debug"), 3u) << log;
  EXPECT_THAT(log, HasSubstr("50-bad.yaml"));
  ExpectServing();

  // 4. The config path turned into a directory (which reads as nothing, and
  //    once passed for an empty file: every default).
  fs::remove(d_->config_path() + ".d/50-bad.yaml");
  fs::rename(d_->config_path(), d_->config_path() + ".saved");
  fs::create_directories(d_->config_path());
  ASSERT_NO_FATAL_FAILURE(Hup(4));
  log = d_->Log();
  EXPECT_EQ(Count(log, "SIGHUP: keeping log level debug"), 4u) << log;
  EXPECT_THAT(log, HasSubstr("is not a regular file"));
  ExpectServing();
  fs::remove(d_->config_path());
  fs::rename(d_->config_path() + ".saved", d_->config_path());

  // 5. Once the config is good again, a reload applies it.
  std::ofstream(d_->config_path(), std::ios::trunc)
      << Replace(good, "log_level: debug", "log_level: info");
  ASSERT_NO_FATAL_FAILURE(Hup(5));
  EXPECT_THAT(d_->Log(), HasSubstr("SIGHUP: log level is now info"));
  ExpectServing();
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
