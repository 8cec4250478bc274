// What a Child owns: the system's own state (a pid and pidfd on Linux, a
// process handle and job object on Windows). Internal to pkg/process.
#pragma once

#ifdef _WIN32
#include "pkg/process/windows/child_state_windows.h"
#else
#include "pkg/process/child_state_linux.h"
#endif
