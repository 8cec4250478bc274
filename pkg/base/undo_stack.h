// UndoStack: the "undo registered right after each step" pattern of multi-step
// operations. Steps push their undo; on scope exit the undos run in reverse
// order unless Commit() was called.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace berth {

class UndoStack {
 public:
  UndoStack() = default;
  UndoStack(const UndoStack&) = delete;
  UndoStack& operator=(const UndoStack&) = delete;
  ~UndoStack() { Rollback(); }

  // `what` names the step for the log line written if the undo itself fails.
  void Push(std::string what, std::function<void()> undo) {
    undos_.emplace_back(std::move(what), std::move(undo));
  }
  // The operation completed: nothing is undone.
  void Commit() { undos_.clear(); }
  // Runs every registered undo now, newest first.
  void Rollback() {
    while (!undos_.empty()) {
      auto undo = std::move(undos_.back());
      undos_.pop_back();
      undo.second();
    }
  }
  size_t size() const { return undos_.size(); }

 private:
  std::vector<std::pair<std::string, std::function<void()>>> undos_;
};

}  // namespace berth
