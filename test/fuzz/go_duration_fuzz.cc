// Fuzz target: Go duration strings (credential-provider cacheDuration and
// defaultCacheDuration), pkg/credentials/go_duration.
//
// Input: one duration, or two joined by '|'. Properties:
//  - a parsed duration is non-negative and prints back ("<n>ms") to itself;
//  - durations add: when "a" and "b" parse, "ab" parses to their sum (within
//    the 1 ms rounding of each part), unless the sum passes the parser's cap;
//  - an error message is printable and bounded (the text is hostile).
#include <chrono>
#include <cstdint>
#include <string>

#include "pkg/credentials/go_duration.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::credentials::ParseGoDuration;
using berth::fuzz::Check;

constexpr int64_t kParserCapMillis = 1'000'000'000'000'000;  // the parser's 1e15 ms

void CheckOne(std::string_view text) {
  auto parsed = ParseGoDuration(text);
  if (!parsed.ok()) {
    Check(berth::fuzz::IsPrintableMessage(parsed.status().message()),
          "duration error message is escaped and bounded", parsed.status().message());
    return;
  }
  const int64_t ms = parsed->count();
  Check(ms >= 0, "a parsed duration is not negative");
  auto again = ParseGoDuration(std::to_string(ms) + "ms");
  Check(again.ok() && again->count() == ms, "a duration prints back to itself in ms");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = berth::fuzz::SplitParts(berth::fuzz::AsText(data, size), "|", 2);
  for (std::string_view part : parts) CheckOne(part);
  if (parts.size() != 2) return 0;
  const std::string_view a = parts[0], b = parts[1];
  // "0" is a whole duration of its own, and a sign only leads the whole text.
  if (b == "0" || b.empty() || b.front() == '+' || b.front() == '-') return 0;
  auto pa = ParseGoDuration(a);
  auto pb = ParseGoDuration(b);
  if (!pa.ok() || !pb.ok()) return 0;
  const int64_t sum = pa->count() + pb->count();
  auto joined = ParseGoDuration(std::string(a) + std::string(b));
  if (sum + 2 >= kParserCapMillis) return 0;  // near the cap either answer is right
  Check(joined.ok(), "two durations written one after the other parse");
  const int64_t diff = joined->count() - sum;
  Check(diff >= -1 && diff <= 1, "a joined duration is the sum of its parts");
  return 0;
}
