// ParseStopSignal: an image's StopSignal ("SIGTERM", "TERM", "15", "RTMIN+3").
#include <cctype>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "pkg/base/quote.h"
#include "pkg/oci/container_spec.h"
#include "pkg/oci/linux_signals.h"

namespace berth::oci {
namespace {

namespace sig = linux_signal;

// The names runc and Docker accept, with their Linux numbers.
constexpr std::pair<std::string_view, int> kSignals[] = {
    {"ABRT", sig::kAbrt}, {"ALRM", sig::kAlrm}, {"BUS", sig::kBus},       {"CHLD", sig::kChld},
    {"CLD", sig::kChld},  {"CONT", sig::kCont}, {"FPE", sig::kFpe},       {"HUP", sig::kHup},
    {"ILL", sig::kIll},   {"INT", sig::kInt},   {"IO", sig::kIo},         {"IOT", sig::kIot},
    {"KILL", sig::kKill}, {"PIPE", sig::kPipe}, {"POLL", sig::kPoll},     {"PROF", sig::kProf},
    {"PWR", sig::kPwr},   {"QUIT", sig::kQuit}, {"SEGV", sig::kSegv},     {"STKFLT", sig::kStkflt},
    {"STOP", sig::kStop}, {"SYS", sig::kSys},   {"TERM", sig::kTerm},     {"TRAP", sig::kTrap},
    {"TSTP", sig::kTstp}, {"TTIN", sig::kTtin}, {"TTOU", sig::kTtou},     {"URG", sig::kUrg},
    {"USR1", sig::kUsr1}, {"USR2", sig::kUsr2}, {"VTALRM", sig::kVtalrm}, {"WINCH", sig::kWinch},
    {"XCPU", sig::kXcpu}, {"XFSZ", sig::kXfsz},
};

// glibc keeps the kernel's first two real-time signals for itself, so
// user-visible RTMIN is 34 (as Docker and containerd number them).
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

// Digits only, at most a few: an int in [0, 999].
std::optional<int> SmallNumber(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

Result<int> ParseStopSignal(const std::string& stop_signal) {
  if (stop_signal.empty()) return sig::kTerm;
  auto bad = [&] {
    return InvalidArgument("stop signal " + QuoteForMessage(stop_signal) + " is not a signal");
  };
  if (auto n = SmallNumber(stop_signal)) {
    if (*n < 1 || *n > kRtMax) return bad();
    return *n;
  }
  std::string name;
  for (char c : stop_signal) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view bare = name;
  if (bare.starts_with("SIG")) bare.remove_prefix(3);
  for (const auto& [n, v] : kSignals) {
    if (n == bare) return v;
  }
  // RTMIN, RTMIN+n, RTMAX, RTMAX-n.
  for (auto [prefix, base, sign] : {std::tuple<std::string_view, int, int>{"RTMIN", kRtMin, 1},
                                    std::tuple<std::string_view, int, int>{"RTMAX", kRtMax, -1}}) {
    if (!bare.starts_with(prefix)) continue;
    std::string_view rest = bare.substr(prefix.size());
    if (rest.empty()) return base;
    if (rest[0] != (sign > 0 ? '+' : '-')) return bad();
    auto off = SmallNumber(rest.substr(1));
    if (!off) return bad();
    int v = base + sign * *off;
    if (v < kRtMin || v > kRtMax) return bad();
    return v;
  }
  return bad();
}

}  // namespace berth::oci
