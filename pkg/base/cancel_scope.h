// CancelScope: the cancellation of the work the current thread does on
// someone's behalf (a CRI call), so that code far below the handler (the wait
// for a child process in pkg/process) stops when the caller gives up, without
// every layer in between passing a token along.
#pragma once

#include "pkg/base/cancel.h"

namespace berth {

// The token installed on this thread; one that is never cancelled when none is.
CancelToken CurrentCancelToken();

// Installs `token` as the current thread's until destroyed; then the previous
// one is back. Scopes nest.
class CancelScope {
 public:
  explicit CancelScope(CancelToken token);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  CancelToken previous_;
};

// For work that must run to its end although the caller gave up: undoing
// what a cancelled call did, cleaning up after a step that failed.
class UncancellableScope : public CancelScope {
 public:
  UncancellableScope() : CancelScope(CancelToken()) {}
};

}  // namespace berth
