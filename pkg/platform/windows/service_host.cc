#include "pkg/platform/windows/service_host.h"

#include <atomic>
#include <mutex>

#include "pkg/platform/windows/win32_error.h"

namespace berth::platform::win {
namespace {

// The SCM calls ServiceMain without a context pointer, so the host's state is
// process-global. It is set before the dispatcher starts and cleared after it returns.
struct HostState {
  ServiceHostOptions options;
  SERVICE_STATUS_HANDLE handle = nullptr;  // written once on the service thread, before any report
  std::mutex mu;
  SERVICE_STATUS status{};  // guarded by mu
  int exit_code = 0;        // written by the service thread before SERVICE_STOPPED
  std::atomic<bool> stop_requested{false};
};
HostState* g_host = nullptr;

void Report(DWORD state, DWORD wait_hint_ms, int exit_code = 0) {
  std::lock_guard lock(g_host->mu);
  SERVICE_STATUS& s = g_host->status;
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  // Controls are only accepted while running: before that there is nothing to stop.
  s.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  if (exit_code != 0) {
    s.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    s.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  } else {
    s.dwWin32ExitCode = NO_ERROR;
    s.dwServiceSpecificExitCode = 0;
  }
  const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  s.dwCheckPoint = pending ? s.dwCheckPoint + 1 : 0;
  s.dwWaitHint = pending ? wait_hint_ms : 0;
  SetServiceStatus(g_host->handle, &s);
}

DWORD WINAPI ControlHandler(DWORD control, DWORD, LPVOID, LPVOID) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
      if (!g_host->stop_requested.exchange(true)) {
        Report(SERVICE_STOP_PENDING, g_host->options.stop_wait_hint_ms);
        g_host->options.request_stop();
      }
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI ServiceMain(DWORD, LPWSTR*) {
  g_host->handle =
      RegisterServiceCtrlHandlerExW(g_host->options.service_name.c_str(), ControlHandler, nullptr);
  if (g_host->handle == nullptr) {
    g_host->exit_code = static_cast<int>(GetLastError());
    return;
  }
  Report(SERVICE_START_PENDING, g_host->options.start_wait_hint_ms);
  const std::function<void()> report_running = [] {
    if (!g_host->stop_requested.load()) Report(SERVICE_RUNNING, 0);
  };
  g_host->exit_code = g_host->options.run(report_running);
  // Last act: after SERVICE_STOPPED the SCM may end the process at any time.
  Report(SERVICE_STOPPED, 0, g_host->exit_code);
}

}  // namespace

Result<int> RunAsService(ServiceHostOptions options) {
  if (g_host != nullptr) return FailedPrecondition("a service host is already running");
  if (!options.run || !options.request_stop || options.service_name.empty()) {
    return InvalidArgument("service host needs a name, a run function and a stop function");
  }
  HostState state;
  state.options = std::move(options);
  g_host = &state;
  SERVICE_TABLE_ENTRYW table[] = {
      {state.options.service_name.data(), ServiceMain},
      {nullptr, nullptr},
  };
  const BOOL ok = StartServiceCtrlDispatcherW(table);
  const DWORD err = ok ? NO_ERROR : GetLastError();
  g_host = nullptr;
  if (!ok) {
    if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      return FailedPrecondition("not started by the Service Control Manager: " +
                                Win32ErrorText(err));
    }
    return Win32Error("StartServiceCtrlDispatcher", err);
  }
  return state.exit_code;
}

}  // namespace berth::platform::win
