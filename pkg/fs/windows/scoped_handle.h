// Internal to pkg/fs's Windows build: owns one Win32 file HANDLE and closes it
// when it goes out of scope (ScopedFd's counterpart).
#pragma once

#include <windows.h>

#include <utility>

namespace berth::win {

class ScopedHandle {
 public:
  ScopedHandle() = default;
  explicit ScopedHandle(HANDLE handle) : handle_(handle) {}
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;
  ScopedHandle(ScopedHandle&& other) noexcept : handle_(other.release()) {}
  ScopedHandle& operator=(ScopedHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~ScopedHandle() { reset(); }

  HANDLE get() const { return handle_; }
  explicit operator bool() const { return handle_ != INVALID_HANDLE_VALUE; }
  // Gives up ownership without closing; returns the handle.
  HANDLE release() { return std::exchange(handle_, INVALID_HANDLE_VALUE); }
  // Closes the current handle (errors ignored) and owns `handle` instead.
  void reset(HANDLE handle = INVALID_HANDLE_VALUE) {
    HANDLE old = std::exchange(handle_, handle);
    if (old != INVALID_HANDLE_VALUE) ::CloseHandle(old);
  }
  // Closes now; false (GetLastError set) when CloseHandle failed.
  bool Close() { return ::CloseHandle(std::exchange(handle_, INVALID_HANDLE_VALUE)) != 0; }

 private:
  HANDLE handle_ = INVALID_HANDLE_VALUE;
};

}  // namespace berth::win
