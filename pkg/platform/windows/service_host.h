// Windows service host for berthd: connects the process to the Service Control
// Manager, reports status (start pending -> running -> stop pending ->
// stopped), and turns the SCM's stop and shutdown controls into the daemon's
// graceful-stop path, the same one SIGTERM takes on Linux.
#pragma once

#include <windows.h>

#include <functional>
#include <string>

#include "pkg/base/status.h"

namespace berth::platform::win {

struct ServiceHostOptions {
  std::wstring service_name;
  // Runs the daemon on the service thread. Calls report_running() once it serves
  // requests; returns the process exit code (0 = clean stop) once stopped.
  std::function<int(const std::function<void()>& report_running)> run;
  // Asks run() to wind down and return. Called on the SCM's control thread on
  // SERVICE_CONTROL_STOP / SHUTDOWN / PRESHUTDOWN; must not block for long.
  std::function<void()> request_stop;
  // How long the SCM should wait between progress reports while starting/stopping.
  DWORD start_wait_hint_ms = 30000;
  DWORD stop_wait_hint_ms = 30000;
};

// Runs the calling process as the named service and blocks until it stopped;
// returns run()'s exit code. FailedPrecondition when the process was not started
// by the SCM (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT): run in the console instead.
// One service host per process.
Result<int> RunAsService(ServiceHostOptions options);

}  // namespace berth::platform::win
