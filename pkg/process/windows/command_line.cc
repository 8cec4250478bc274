#include "pkg/process/windows/command_line.h"

#include <windows.h>

#include <map>

#include "pkg/base/win32_error.h"

namespace berth::process::internal {
namespace {

// Whether the runtime's split would change `arg` if it were passed bare.
bool NeedsQuotes(std::wstring_view arg) {
  return arg.empty() || arg.find_first_of(L" \t\n\v\"") != std::wstring_view::npos;
}

// Appends `arg` so that the runtime's split gives it back unchanged:
// backslashes are literal except in a run that ends at a quote, where each
// pair stands for one backslash and an odd one escapes the quote. So a run
// before a quote (or before the closing quote we add) is doubled.
void AppendQuoted(std::wstring& line, std::wstring_view arg) {
  if (!NeedsQuotes(arg)) {
    line += arg;
    return;
  }
  line += L'"';
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') {
      line.append(2 * backslashes + 1, L'\\');
    } else {
      line.append(backslashes, L'\\');
    }
    backslashes = 0;
    line += c;
  }
  line.append(2 * backslashes, L'\\');
  line += L'"';
}

std::wstring_view EnvKey(std::wstring_view entry) {
  // A leading '=' belongs to the key: cmd.exe keeps per-drive directories
  // as "=C:=C:\dir".
  size_t eq = entry.find(L'=', 1);
  return entry.substr(0, eq);
}

// Windows sorts the block by key in ordinal order, ignoring case.
struct KeyLess {
  bool operator()(const std::wstring& a, const std::wstring& b) const {
    return CompareStringOrdinal(a.data(), static_cast<int>(a.size()), b.data(),
                                static_cast<int>(b.size()), TRUE) == CSTR_LESS_THAN;
  }
};

Status AddEntry(std::map<std::wstring, std::wstring, KeyLess>& by_key, std::string_view entry) {
  if (entry.find('\0') != std::string_view::npos) {
    return InvalidArgument("environment entry \"" + std::string(entry.substr(0, entry.find('\0'))) +
                           "...\" holds a NUL character");
  }
  BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(entry));
  std::wstring key(EnvKey(wide));
  by_key.insert_or_assign(std::move(key), std::move(wide));
  return OkStatus();
}

}  // namespace

Result<std::wstring> BuildCommandLine(const std::vector<std::string>& argv) {
  std::wstring line;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].find('\0') != std::string::npos) {
      return InvalidArgument("argument " + std::to_string(i) + " of " + argv[0] +
                             " holds a NUL character");
    }
    BERTH_ASSIGN_OR_RETURN(std::wstring wide, win::Utf8ToWide(argv[i]));
    if (i == 0) {
      if (wide.find(L'"') != std::wstring::npos) {
        return InvalidArgument("program path " + argv[0] + " holds a quote");
      }
      line += L'"' + wide + L'"';
      continue;
    }
    line += L' ';
    AppendQuoted(line, wide);
  }
  return line;
}

Result<std::wstring> BuildEnvironmentBlock(const Command& c) {
  std::map<std::wstring, std::wstring, KeyLess> by_key;
  if (c.env) {
    for (const auto& kv : *c.env) BERTH_RETURN_IF_ERROR(AddEntry(by_key, kv));
  } else {
    wchar_t* own = GetEnvironmentStringsW();
    if (own == nullptr) return win::Win32Error("read the daemon's environment", GetLastError());
    for (const wchar_t* e = own; *e != L'\0'; e += wcslen(e) + 1) {
      std::wstring entry(e);
      std::wstring key(EnvKey(entry));
      by_key.insert_or_assign(std::move(key), std::move(entry));
    }
    FreeEnvironmentStringsW(own);
  }
  for (const auto& kv : c.extra_env) BERTH_RETURN_IF_ERROR(AddEntry(by_key, kv));
  std::wstring block;
  for (const auto& [key, entry] : by_key) {
    block += entry;
    block += L'\0';
  }
  // An empty block still needs its two NULs.
  if (block.empty()) block += L'\0';
  block += L'\0';
  return block;
}

}  // namespace berth::process::internal
