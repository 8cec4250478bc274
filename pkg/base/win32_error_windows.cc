// Windows only (the cross build, test/windows): see win32_error.h.
#include "pkg/base/win32_error.h"

namespace berth::win {

std::string Win32ErrorText(DWORD code) {
  wchar_t* buffer = nullptr;
  const DWORD flags =
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  const DWORD len = FormatMessageW(flags, nullptr, code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                                   reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string text;
  if (len > 0 && buffer != nullptr) {
    Result<std::string> utf8 = WideToUtf8(std::wstring_view(buffer, len));
    if (utf8.ok()) text = std::move(*utf8);
  }
  if (buffer != nullptr) LocalFree(buffer);
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.')) {
    text.pop_back();
  }
  if (text.empty()) text = "unknown error";
  return text + " (error " + std::to_string(code) + ")";
}

Status Win32Error(std::string_view what, DWORD code) {
  std::string message = std::string(what) + ": " + Win32ErrorText(code);
  switch (code) {
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return FailedPrecondition(std::move(message));
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_PROC_NOT_FOUND:
      return NotFound(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

Result<std::wstring> Utf8ToWide(std::string_view utf8) {
  if (utf8.empty()) return std::wstring();
  if (utf8.size() > 0x7fffffff) return InvalidArgument("string too long to convert to UTF-16");
  const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                    static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return InvalidArgument("string is not valid UTF-8");
  std::wstring wide(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                      wide.data(), n);
  return wide;
}

Result<std::string> WideToUtf8(std::wstring_view wide) {
  if (wide.empty()) return std::string();
  if (wide.size() > 0x7fffffff) return InvalidArgument("string too long to convert to UTF-8");
  const int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide.data(),
                                    static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
  if (n <= 0) return InvalidArgument("string is not valid UTF-16");
  std::string utf8(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide.data(), static_cast<int>(wide.size()),
                      utf8.data(), n, nullptr, nullptr);
  return utf8;
}

}  // namespace berth::win
