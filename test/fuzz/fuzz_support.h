// Small helpers the fuzz targets share: checking a property, splitting one
// fuzz input into the several texts a parser reads, and the checks every
// error message from hostile input must pass.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <nlohmann/json.hpp>
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
// terminals (CR, LF, ESC, NUL); DEL and bytes past ASCII do neither. The
// bound is far below the inputs' size (up to 16 KiB and more) and above what
// an escaped 200-byte excerpt ("\xNN" per byte) with its context takes.
inline constexpr size_t kMaxMessageBytes = 2048;

inline bool IsPrintableMessage(std::string_view message, size_t max_size = kMaxMessageBytes) {
  if (message.size() > max_size) return false;
  for (char c : message) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// The string values under any of `keys`, anywhere in `doc`, each replaced by
// a marker; returns the values replaced, the secrets of the document.
inline std::vector<std::string> MaskSecrets(nlohmann::json* doc,
                                            std::initializer_list<std::string_view> keys) {
  std::vector<std::string> secrets;
  if (doc->is_array()) {
    for (auto& v : *doc) {
      for (std::string& s : MaskSecrets(&v, keys)) secrets.push_back(std::move(s));
    }
  } else if (doc->is_object()) {
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      const bool secret = std::find(keys.begin(), keys.end(), it.key()) != keys.end();
      if (secret && it->is_string()) {
        secrets.push_back(it->get<std::string>());
        *it = "masked-" + std::to_string(secrets.size());
      } else {
        for (std::string& s : MaskSecrets(&*it, keys)) secrets.push_back(std::move(s));
      }
    }
  }
  return secrets;
}

// True when no secret appears in `message` that does not also appear in
// `masked_message`, the error for the same document with its secrets masked:
// a password can be a piece of the error's own words ("se cacheDuratio"),
// which is no leak. Short secrets are skipped (they appear by chance).
inline bool LeaksNoSecret(std::string_view message, const std::vector<std::string>& secrets,
                          std::string_view masked_message) {
  for (const std::string& secret : secrets) {
    if (secret.size() >= 6 && message.find(secret) != std::string_view::npos &&
        masked_message.find(secret) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace berth::fuzz
