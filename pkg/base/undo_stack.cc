#include "pkg/base/undo_stack.h"

#include <spdlog/spdlog.h>

#include "pkg/base/cancel_scope.h"

namespace berth {

int UndoStack::Rollback() {
  // Undo runs to its end even when the operation gave up because its caller
  // cancelled: the caller is gone, but what the steps made would be leaked.
  UncancellableScope uncancellable;
  int failed = 0;
  while (!undos_.empty()) {
    auto [step, undo] = std::move(undos_.back());
    undos_.pop_back();
    Status s = undo();
    if (s.ok()) continue;
    ++failed;
    spdlog::warn("{}: undo of step \"{}\" failed: {}", object_, step, s.ToString());
  }
  return failed;
}

}  // namespace berth
