#include "pkg/base/undo_stack.h"

#include <spdlog/spdlog.h>

namespace berth {

int UndoStack::Rollback() {
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
