// Small helpers of pkg/stats' cgroup readers: a cgroup file's number, and
// the clamped subtraction the derived figures use. Internal to pkg/stats.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::stats {

// A decimal number, trailing newline and spaces allowed; nullopt otherwise.
inline std::optional<uint64_t> ParseCgroupU64(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// a - b, or 0 when b is larger.
inline uint64_t SubtractOrZero(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0;
}

}  // namespace berth::stats
