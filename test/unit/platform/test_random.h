// Random sources for tests: scripted byte patterns to force name collisions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <span>

#include "pkg/platform/random_source.h"

namespace berth::platform::testing {

// Fills each request with the next scripted byte repeated; then repeats the last one.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::deque<std::uint8_t> fills) : fills_(std::move(fills)) {}
  Status Fill(std::span<std::uint8_t> out) override {
    const std::uint8_t b = fills_.front();
    if (fills_.size() > 1) fills_.pop_front();
    std::fill(out.begin(), out.end(), b);
    ++calls;
    return OkStatus();
  }
  int calls = 0;

 private:
  std::deque<std::uint8_t> fills_;
};

class FailingRandom final : public RandomSource {
 public:
  Status Fill(std::span<std::uint8_t>) override { return Internal("entropy source broken"); }
};

}  // namespace berth::platform::testing
