#include "pkg/credentials/go_duration.h"

#include <charconv>
#include <cmath>
#include <string>

#include "pkg/base/quote.h"

namespace berth::credentials {
namespace {

// The text comes from a plugin's response or a config file and ends up in
// logs: quoted with its control bytes escaped, and cut short.
Status Bad(std::string_view s) {
  return InvalidArgument("invalid duration " + QuoteForMessage(s, 64) +
                         " (want e.g. \"30s\", \"5m\", \"1h30m\")");
}

// Milliseconds per unit; 0 for an unknown unit.
double UnitMillis(std::string_view u) {
  if (u == "ns") return 1e-6;
  if (u == "us" || u == "\xc2\xb5s" || u == "\xce\xbcs") return 1e-3;
  if (u == "ms") return 1;
  if (u == "s") return 1000;
  if (u == "m") return 60 * 1000.0;
  if (u == "h") return 3600 * 1000.0;
  return 0;
}

}  // namespace

Result<std::chrono::milliseconds> ParseGoDuration(std::string_view s) {
  std::string_view in = s;
  if (s.empty()) return Bad(in);
  if (s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return Bad(in);
  if (s.front() == '-')
    return InvalidArgument("duration " + QuoteForMessage(in, 64) + " is negative");
  if (s == "0") return std::chrono::milliseconds(0);
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return Bad(in);
    std::string number(s.substr(0, i));
    if (number == "." || number.find('.') != number.rfind('.')) return Bad(in);
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') ++j;
    double unit = UnitMillis(s.substr(0, j));
    if (unit == 0) return Bad(in);
    s.remove_prefix(j);
    // from_chars, not stod: a number too long for a double is an error here,
    // where stod threw out_of_range through the credential provider's single
    // flight and left it wedged.
    double value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size()) return Bad(in);
    total += value * unit;
    if (total > 1e15) return Bad(in);  // beyond any sane cache duration
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total)));
}

}  // namespace berth::credentials
