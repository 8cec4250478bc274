// Crash points: a fault-injection hook compiled into the normal binary.
// When the environment variable BERTH_CRASH_POINT names a point, berthd
// _exit()s there (exit status kCrashExitCode), as a kill -9 would stop it,
// so tests can prove that restart recovers from a crash between any two
// steps of a multi-step operation. Unset (always, in production): a string
// comparison against an empty name.
#pragma once

#include <array>
#include <string_view>

namespace berth::daemon {

inline constexpr int kCrashExitCode = 86;

// Every point, "<operation>/<where>": the single list tests iterate over.
// A "reap-" point is in the part of a removal that runs after its answer
// (daemon/removal_reaper.h): the call may have succeeded before the crash.
inline constexpr std::array<std::string_view, 29> kCrashPoints = {
    "sandbox-run/after-reserve",
    "sandbox-run/after-dirs",
    "sandbox-run/after-pin-namespaces",
    "sandbox-run/after-config",
    "sandbox-run/after-network",
    "sandbox-run/after-infra-create",
    "sandbox-run/after-infra-start",
    "sandbox-run/before-commit",
    "sandbox-stop/after-containers",
    "sandbox-stop/after-infra-stop",
    "sandbox-stop/after-network",
    "sandbox-remove/after-stop",
    "sandbox-remove/after-containers",
    "sandbox-remove/reap-before-runtime-delete",
    "sandbox-remove/reap-after-runtime-delete",
    "container-create/after-reserve",
    "container-create/after-dirs",
    "container-create/after-rootfs",
    "container-create/after-config",
    "container-create/after-runtime-create",
    "container-create/before-commit",
    "container-start/before-start",
    "container-start/after-start",
    "container-stop/after-signal",
    "container-remove/after-stop",
    "container-remove/reap-before-runtime-delete",
    "container-remove/reap-after-runtime-delete",
    "container-remove/reap-after-unmount",
    "container-remove/reap-after-trash",
};

// Dies here when BERTH_CRASH_POINT == point. `point` must be in kCrashPoints
// (checked at compile time where the argument is a literal).
void CrashPoint(std::string_view point);

consteval bool IsCrashPoint(std::string_view point) {
  for (std::string_view p : kCrashPoints) {
    if (p == point) return true;
  }
  return false;
}

}  // namespace berth::daemon

// Use this, not CrashPoint directly: an unknown name fails to compile.
#define BERTH_CRASH_POINT(name)                                                      \
  do {                                                                               \
    static_assert(::berth::daemon::IsCrashPoint(name), "unknown crash point " name); \
    ::berth::daemon::CrashPoint(name);                                               \
  } while (0)
