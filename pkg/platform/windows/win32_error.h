// Win32 helpers of the platform module: pkg/base's error text and UTF
// conversions, and an owned registry key.
#pragma once

#include <windows.h>

#include <string>
#include <string_view>

#include "pkg/base/win32_error.h"

namespace berth::platform::win {

// Error text and UTF conversions live in pkg/base, for every Windows
// implementation; named here as before.
using berth::win::Utf8ToWide;
using berth::win::WideToUtf8;
using berth::win::Win32Error;
using berth::win::Win32ErrorText;

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
