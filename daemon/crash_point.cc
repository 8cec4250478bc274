#include "daemon/crash_point.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

namespace berth::daemon {

void CrashPoint(std::string_view point) {
  static const std::string armed = [] {
    const char* v = std::getenv("BERTH_CRASH_POINT");
    return std::string(v ? v : "");
  }();
  if (armed.empty() || armed != point) return;
  spdlog::warn("crash point {} reached: exiting as if killed", point);
  spdlog::default_logger()->flush();
  ::_exit(kCrashExitCode);
}

}  // namespace berth::daemon
