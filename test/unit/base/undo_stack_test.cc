#include "pkg/base/undo_stack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

namespace berth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Routes spdlog's default logger into a string while alive.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(UndoStackTest, RunsUndosInReverseOrderOnScopeExit) {
  std::string trace;
  {
    UndoStack undo("container c1");
    undo.Push("a", [&] {
      trace += "a";
      return OkStatus();
    });
    undo.Push("b", [&] {
      trace += "b";
      return OkStatus();
    });
  }
  EXPECT_EQ(trace, "ba");
}

TEST(UndoStackTest, CommitKeepsTheWork) {
  std::string trace;
  {
    UndoStack undo("container c1");
    undo.Push("a", [&] {
      trace += "a";
      return OkStatus();
    });
    undo.Commit();
  }
  EXPECT_EQ(trace, "");
}

// A failing undo is logged with the object and its step, and the undos
// pushed before it still run.
TEST(UndoStackTest, AFailedUndoIsLoggedAndTheRestStillRun) {
  CapturedLog log;
  std::string trace;
  int failed = 0;
  {
    UndoStack undo("pod sandbox 0123abcd");
    undo.Push("release name", [&] {
      trace += "n";
      return OkStatus();
    });
    undo.Push("CNI DEL", [&] {
      trace += "c";
      return Internal("bridge plugin: no such device");
    });
    undo.Push("unmount shm", [&] {
      trace += "u";
      return OkStatus();
    });
    failed = undo.Rollback();
  }
  EXPECT_EQ(trace, "ucn");
  EXPECT_EQ(failed, 1);
  EXPECT_THAT(log.text(), HasSubstr("pod sandbox 0123abcd: undo of step \"CNI DEL\" failed"));
  EXPECT_THAT(log.text(), HasSubstr("no such device"));
  EXPECT_THAT(log.text(), Not(HasSubstr("unmount shm")));
}

}  // namespace
}  // namespace berth
