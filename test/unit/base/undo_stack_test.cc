#include "pkg/base/undo_stack.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(UndoStackTest, RunsUndosInReverseOrderOnScopeExit) {
  std::string trace;
  {
    UndoStack undo;
    undo.Push("a", [&] { trace += "a"; });
    undo.Push("b", [&] { trace += "b"; });
  }
  EXPECT_EQ(trace, "ba");
}

TEST(UndoStackTest, CommitKeepsTheWork) {
  std::string trace;
  {
    UndoStack undo;
    undo.Push("a", [&] { trace += "a"; });
    undo.Commit();
  }
  EXPECT_EQ(trace, "");
}

}  // namespace
}  // namespace berth
