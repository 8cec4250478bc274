// UndoStack: the "undo registered right after each step" pattern of multi-step
// operations. Steps push their undo; on scope exit the undos run in reverse
// order unless Commit() was called.
//
// An undo that fails does not stop the others, and does not replace the
// error that made the operation give up (that one is already on its way to
// the caller): it is logged, naming the object and the step, because what it
// failed to release (a mount, an IP, a runtime container) is now a leak that
// only restore or an operator will find.
//
// Undos run under an UncancellableScope (cancel_scope.h): a call cancelled
// by its client still undoes everything it did.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pkg/base/status.h"

namespace berth {

class UndoStack {
 public:
  // `object` names what the operation builds ("container <id>"), for the
  // log line of a failed undo.
  explicit UndoStack(std::string object) : object_(std::move(object)) {}
  UndoStack(const UndoStack&) = delete;
  UndoStack& operator=(const UndoStack&) = delete;
  ~UndoStack() { Rollback(); }

  // `step` names the step for that log line.
  void Push(std::string step, std::function<Status()> undo) {
    undos_.emplace_back(std::move(step), std::move(undo));
  }
  // The operation completed: nothing is undone.
  void Commit() { undos_.clear(); }
  // Runs every registered undo now, newest first; returns how many failed.
  int Rollback();
  size_t size() const { return undos_.size(); }

 private:
  std::string object_;
  std::vector<std::pair<std::string, std::function<Status()>>> undos_;
};

}  // namespace berth
