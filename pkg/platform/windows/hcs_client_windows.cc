#include "pkg/platform/windows/hcs_client_windows.h"

#include <objbase.h>
#include <windows.h>

#include "pkg/platform/windows/win32_error.h"

namespace berth::platform::win {
namespace {

// vmcompute.dll's service functions (HCS 2.x). Result documents are allocated by
// vmcompute and freed by the caller with CoTaskMemFree.
using ModifyServiceSettingsFn = HRESULT(WINAPI*)(PCWSTR settings, PWSTR* result);
using GetServicePropertiesFn = HRESULT(WINAPI*)(PCWSTR query, PWSTR* properties, PWSTR* result);

class CoTaskString {
 public:
  ~CoTaskString() {
    if (p_ != nullptr) CoTaskMemFree(p_);
  }
  PWSTR* out() { return &p_; }
  std::string Utf8() const {
    if (p_ == nullptr) return "";
    Result<std::string> s = WideToUtf8(p_);
    return s.ok() ? std::move(*s) : std::string("<undecodable>");
  }

 private:
  PWSTR p_ = nullptr;
};

std::string HresultText(HRESULT hr) {
  // Win32 errors wrapped as HRESULTs read best through FormatMessage on the HRESULT itself.
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08lx", static_cast<unsigned long>(hr));
  return Win32ErrorText(static_cast<DWORD>(hr)) + " [hresult " + hex + "]";
}

class VmcomputeHcsClient final : public HcsClient {
 public:
  VmcomputeHcsClient(HMODULE dll, ModifyServiceSettingsFn modify, GetServicePropertiesFn get)
      : dll_(dll), modify_(modify), get_(get) {}
  ~VmcomputeHcsClient() override { FreeLibrary(dll_); }

  Status ModifyServiceSettings(const std::string& request_json) override {
    BERTH_ASSIGN_OR_RETURN(std::wstring request, Utf8ToWide(request_json));
    CoTaskString result;
    const HRESULT hr = modify_(request.c_str(), result.out());
    if (FAILED(hr)) {
      // The result document describes the failure; it never echoes the settings.
      return Internal("HcsModifyServiceSettings: " + HresultText(hr) + " " + result.Utf8());
    }
    return OkStatus();
  }

  Result<std::string> GetServiceProperties(const std::string& query_json) override {
    BERTH_ASSIGN_OR_RETURN(std::wstring query, Utf8ToWide(query_json));
    CoTaskString properties;
    CoTaskString result;
    const HRESULT hr = get_(query.c_str(), properties.out(), result.out());
    if (FAILED(hr)) {
      return Internal("HcsGetServiceProperties: " + HresultText(hr) + " " + result.Utf8());
    }
    return properties.Utf8();
  }

 private:
  HMODULE dll_;
  ModifyServiceSettingsFn modify_;
  GetServicePropertiesFn get_;
};

class Unavailable final : public HcsClient {
 public:
  explicit Unavailable(Status why) : why_(std::move(why)) {}
  Status ModifyServiceSettings(const std::string&) override { return why_; }
  Result<std::string> GetServiceProperties(const std::string&) override { return why_; }

 private:
  Status why_;
};

}  // namespace

Result<std::unique_ptr<HcsClient>> LoadVmcomputeHcsClient() {
  // System32 only: never pick up a vmcompute.dll planted next to the binary.
  HMODULE dll = LoadLibraryExW(L"vmcompute.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == nullptr) {
    return FailedPrecondition(
        "loading vmcompute.dll (is the Windows Containers feature "
        "installed?): " +
        Win32ErrorText(GetLastError()));
  }
  auto modify = reinterpret_cast<ModifyServiceSettingsFn>(
      reinterpret_cast<void*>(GetProcAddress(dll, "HcsModifyServiceSettings")));
  auto get = reinterpret_cast<GetServicePropertiesFn>(
      reinterpret_cast<void*>(GetProcAddress(dll, "HcsGetServiceProperties")));
  if (modify == nullptr || get == nullptr) {
    const DWORD err = GetLastError();
    FreeLibrary(dll);
    return FailedPrecondition(
        "vmcompute.dll lacks HcsModifyServiceSettings or "
        "HcsGetServiceProperties (Windows too old for CCG): " +
        Win32ErrorText(err));
  }
  return std::unique_ptr<HcsClient>(new VmcomputeHcsClient(dll, modify, get));
}

std::unique_ptr<HcsClient> UnavailableHcsClient(Status why) {
  return std::make_unique<Unavailable>(std::move(why));
}

}  // namespace berth::platform::win
