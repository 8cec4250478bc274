#include "pkg/platform/windows/win32_registry_backend.h"

#include "pkg/platform/credential_spec_store.h"

namespace berth::platform::win {

Result<std::unique_ptr<Win32RegistryBackend>> Win32RegistryBackend::Open() {
  HKEY key = nullptr;
  // KEY_WOW64_64KEY: the runtime reads the 64-bit view, even if we were a 32-bit build.
  const LSTATUS rc = RegCreateKeyExW(
      HKEY_LOCAL_MACHINE, kCredentialSpecsSubKey, 0, nullptr, REG_OPTION_NON_VOLATILE,
      KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &key, nullptr);
  if (rc != ERROR_SUCCESS) {
    return Win32Error("registry key " + std::string(kCredentialSpecsKeyPath) + ": open",
                      static_cast<DWORD>(rc));
  }
  return std::unique_ptr<Win32RegistryBackend>(new Win32RegistryBackend(UniqueHkey(key)));
}

Status Win32RegistryBackend::Fail(std::string_view what, std::string_view name,
                                  LSTATUS code) const {
  return Win32Error("registry key " + std::string(KeyPath()) + ": " + std::string(what) +
                        " value " + std::string(name),
                    static_cast<DWORD>(code));
}

Result<bool> Win32RegistryBackend::SetStringIfAbsent(std::string_view name, std::string_view data) {
  if (!IsManagedValueName(name)) {
    return InvalidArgument("registry key " + std::string(KeyPath()) +
                           ": refusing value name outside the managed pattern");
  }
  BERTH_ASSIGN_OR_RETURN(std::wstring wname, Utf8ToWide(name));
  BERTH_ASSIGN_OR_RETURN(std::wstring wdata, Utf8ToWide(data));
  const size_t bytes = (wdata.size() + 1) * sizeof(wchar_t);
  if (bytes > kMaxRegistryValueDataBytes) {
    return InvalidArgument("registry key " + std::string(KeyPath()) + ": value " +
                           std::string(name) + " data above the registry value size limit");
  }
  // The registry has no create-exclusive for values, so this is check-then-set.
  // berth is the only writer of managed names and a name holds 320 random bits,
  // so the window between the two calls cannot realistically be hit.
  LSTATUS rc = RegQueryValueExW(key_.get(), wname.c_str(), nullptr, nullptr, nullptr, nullptr);
  if (rc == ERROR_SUCCESS) return false;
  if (rc != ERROR_FILE_NOT_FOUND) return Fail("query", name, rc);
  rc = RegSetValueExW(key_.get(), wname.c_str(), 0, REG_SZ,
                      reinterpret_cast<const BYTE*>(wdata.c_str()), static_cast<DWORD>(bytes));
  if (rc != ERROR_SUCCESS) return Fail("set", name, rc);
  return true;
}

Result<bool> Win32RegistryBackend::DeleteValue(std::string_view name) {
  if (!IsManagedValueName(name)) {
    return InvalidArgument("registry key " + std::string(KeyPath()) +
                           ": refusing value name outside the managed pattern");
  }
  BERTH_ASSIGN_OR_RETURN(std::wstring wname, Utf8ToWide(name));
  const LSTATUS rc = RegDeleteValueW(key_.get(), wname.c_str());
  if (rc == ERROR_SUCCESS) return true;
  if (rc == ERROR_FILE_NOT_FOUND) return false;
  return Fail("delete", name, rc);
}

Result<std::vector<std::string>> Win32RegistryBackend::EnumerateValueNames() {
  DWORD max_name = 0;
  LSTATUS rc = RegQueryInfoKeyW(key_.get(), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                nullptr, &max_name, nullptr, nullptr, nullptr);
  if (rc != ERROR_SUCCESS) {
    return Win32Error("registry key " + std::string(KeyPath()) + ": query info",
                      static_cast<DWORD>(rc));
  }
  std::vector<std::string> names;
  std::wstring buffer(static_cast<size_t>(max_name) + 1, L'\0');
  for (DWORD index = 0;; ++index) {
    DWORD len = static_cast<DWORD>(buffer.size());
    rc = RegEnumValueW(key_.get(), index, buffer.data(), &len, nullptr, nullptr, nullptr, nullptr);
    if (rc == ERROR_NO_MORE_ITEMS) break;
    if (rc == ERROR_MORE_DATA) {  // a longer name appeared meanwhile: grow and retry
      buffer.resize(buffer.size() * 2 + 256);
      --index;
      continue;
    }
    if (rc != ERROR_SUCCESS) {
      return Win32Error("registry key " + std::string(KeyPath()) + ": enumerate values",
                        static_cast<DWORD>(rc));
    }
    Result<std::string> name = WideToUtf8(std::wstring_view(buffer.data(), len));
    if (name.ok()) names.push_back(std::move(*name));  // unconvertible names are not ours
  }
  return names;
}

Result<std::optional<std::string>> Win32RegistryBackend::ReadString(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(std::wstring wname, Utf8ToWide(name));
  DWORD type = 0;
  DWORD bytes = 0;
  LSTATUS rc = RegQueryValueExW(key_.get(), wname.c_str(), nullptr, &type, nullptr, &bytes);
  if (rc == ERROR_FILE_NOT_FOUND) return std::optional<std::string>();
  if (rc != ERROR_SUCCESS) return Fail("query", name, rc);
  if (type != REG_SZ) {
    return InvalidArgument("registry key " + std::string(KeyPath()) + ": value " +
                           std::string(name) + " is not a string");
  }
  std::wstring data(bytes / sizeof(wchar_t) + 1, L'\0');
  rc = RegQueryValueExW(key_.get(), wname.c_str(), nullptr, &type,
                        reinterpret_cast<BYTE*>(data.data()), &bytes);
  if (rc != ERROR_SUCCESS) return Fail("read", name, rc);
  data.resize(bytes / sizeof(wchar_t));
  while (!data.empty() && data.back() == L'\0') data.pop_back();
  BERTH_ASSIGN_OR_RETURN(std::string utf8, WideToUtf8(data));
  return std::optional<std::string>(std::move(utf8));
}

}  // namespace berth::platform::win
