// Small helpers the fuzz targets share: checking a property, splitting one
// fuzz input into the several texts a parser reads, and the checks every
// error message from hostile input must pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/quote.h"

namespace berth::fuzz {

// A broken property: say which, then abort so the sanitizer (or libFuzzer)
// reports the stack and keeps the input.
inline void Check(bool ok, const char* property) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", property);
  std::abort();
}

// The same, printing what broke it (a message, a printed form), escaped.
inline void Check(bool ok, const char* property, std::string_view detail) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property broken: %s\n  detail: %s\n", property,
               EscapeForMessage(detail, 4096).c_str());
  std::abort();
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Cuts `input` at each `separator` into at most `max_parts` parts (the last
// part keeps any further separators), so one input can carry a main file and
// its drop-ins, or a value and a second value to combine it with.
inline std::vector<std::string_view> SplitParts(std::string_view input, std::string_view separator,
                                                size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = input.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + separator.size());
  }
  parts.push_back(input);
  return parts;
}

// Error messages reach logs and gRPC statuses: hostile bytes in them must be
// escaped and bounded. The C0 controls are what forge log lines and drive
// terminals (CR, LF, ESC, NUL); DEL and bytes past ASCII do neither.
inline bool IsPrintableMessage(std::string_view message, size_t max_size) {
  if (message.size() > max_size) return false;
  for (char c : message) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// True when `message` contains none of `secrets` (the short ones are skipped:
// a two-letter password appears in ordinary words by chance).
inline bool LeaksNoSecret(std::string_view message, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() >= 6 && message.find(secret) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace berth::fuzz
