// Win32 helpers shared by the Windows implementations: error text from
// FormatMessage, and UTF-8 <-> UTF-16 conversion (the W APIs take UTF-16).
#pragma once

#include <windows.h>

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::platform::win {

// FormatMessage's text for a Win32 error code (trailing newline and period
// trimmed), e.g. "Access is denied (error 5)".
std::string Win32ErrorText(DWORD code);

// "<what>: <Win32 error text>" with a code chosen from the Win32 error:
// access denied -> FailedPrecondition, not found -> NotFound, else Internal.
Status Win32Error(std::string_view what, DWORD code);

// Strict conversions: invalid input is InvalidArgument, never replaced silently.
Result<std::wstring> Utf8ToWide(std::string_view utf8);
Result<std::string> WideToUtf8(std::wstring_view wide);

// Owns an HKEY; closes it on scope exit.
class UniqueHkey {
 public:
  UniqueHkey() = default;
  explicit UniqueHkey(HKEY key) : key_(key) {}
  UniqueHkey(UniqueHkey&& other) noexcept : key_(other.release()) {}
  UniqueHkey& operator=(UniqueHkey&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueHkey(const UniqueHkey&) = delete;
  UniqueHkey& operator=(const UniqueHkey&) = delete;
  ~UniqueHkey() { reset(); }
  HKEY get() const { return key_; }
  HKEY release() {
    HKEY k = key_;
    key_ = nullptr;
    return k;
  }
  void reset(HKEY key = nullptr) {
    if (key_ != nullptr) RegCloseKey(key_);
    key_ = key;
  }

 private:
  HKEY key_ = nullptr;
};

}  // namespace berth::platform::win
