#include "pkg/base/cancel_scope.h"

#include <utility>

namespace berth {

namespace {
// Defined in this one file, not as an `inline thread_local` in the header:
// every library still shares one per thread, and mingw-w64's GCC 12, which
// emits the TLS init function of an inline thread_local of a non-trivial type
// in every file that uses it, no longer fails the link with "multiple
// definition of TLS init function".
thread_local CancelToken t_current_cancel;
}  // namespace

CancelToken CurrentCancelToken() {
  return t_current_cancel;
}

CancelScope::CancelScope(CancelToken token) : previous_(std::move(t_current_cancel)) {
  t_current_cancel = std::move(token);
}

CancelScope::~CancelScope() {
  t_current_cancel = std::move(previous_);
}

}  // namespace berth
