// Helpers of pkg/process's Windows tests: the child program
// (process_child_win.cc) next to the test executable, and looking at
// processes by pid.
#pragma once

#include <io.h>
#include <windows.h>

#include <fstream>
#include <string>

#include "pkg/fs/windows/scoped_handle.h"
#include "pkg/process/spawn.h"

namespace berth::process::testing {

inline constexpr int kSigKill = 9;  // Linux's number, which Child takes

// The path of berth_process_win_child.exe, beside this executable.
inline std::string ChildProgram() {
  char self[MAX_PATH];
  const DWORD n = GetModuleFileNameA(nullptr, self, MAX_PATH);
  std::string path(self, n);
  return path.substr(0, path.find_last_of("\\/") + 1) + "berth_process_win_child.exe";
}

// argv for the child program: its mode and arguments.
inline std::vector<std::string> ChildArgv(std::vector<std::string> args) {
  args.insert(args.begin(), ChildProgram());
  return args;
}

// Reads a C runtime descriptor until EOF.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  int n;
  while ((n = _read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

inline pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  long pid = -1;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// A process with this pid runs (exists and has not exited).
inline bool Running(pid_t pid) {
  win::ScopedHandle h(OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
  if (h.get() == nullptr) {
    (void)h.release();
    return false;
  }
  return WaitForSingleObject(h.get(), 0) == WAIT_TIMEOUT;
}

// Ends a process the tests left running (a grandchild outside any job).
inline void Kill(pid_t pid) {
  win::ScopedHandle h(OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid)));
  if (h.get() == nullptr) {
    (void)h.release();
    return;
  }
  TerminateProcess(h.get(), 1);
}

}  // namespace berth::process::testing
