// Win32 helpers for every Windows implementation (pkg/base, pkg/fs,
// pkg/dynlib, pkg/platform): error text from FormatMessage, and UTF-8 <->
// UTF-16 conversion (the W APIs take UTF-16). Windows only.
#pragma once

#include <windows.h>

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::win {

// FormatMessage's text for a Win32 error code (trailing newline and period
// trimmed), e.g. "Access is denied (error 5)".
std::string Win32ErrorText(DWORD code);

// "<what>: <Win32 error text>" with a code chosen from the Win32 error:
// access denied -> FailedPrecondition, not found -> NotFound, else Internal.
Status Win32Error(std::string_view what, DWORD code);

// Strict conversions: invalid input is InvalidArgument, never replaced silently.
Result<std::wstring> Utf8ToWide(std::string_view utf8);
Result<std::string> WideToUtf8(std::wstring_view wide);

}  // namespace berth::win
