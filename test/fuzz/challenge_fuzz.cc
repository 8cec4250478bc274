// Fuzz target: WWW-Authenticate challenges as a registry's 401 carries them
// (pkg/registry/challenge).
//
// Properties: every challenge parsed has a non-empty lowercase scheme and
// lowercase parameter names; and written back as a header (scheme, then
// key="value" pairs with '"' and '\' escaped) the challenges parse to
// themselves.
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "pkg/registry/challenge.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
using berth::registry::Challenge;
using berth::registry::ParseWwwAuthenticate;

bool IsLowercase(const std::string& s) {
  for (char c : s) {
    if (std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string Header(const std::vector<Challenge>& challenges) {
  std::string out;
  for (const Challenge& ch : challenges) {
    if (!out.empty()) out += ", ";
    out += ch.scheme;
    const char* sep = " ";
    for (const auto& [key, value] : ch.params) {
      out += sep + key + "=" + Quoted(value);
      sep = ", ";
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<Challenge> parsed = ParseWwwAuthenticate(berth::fuzz::AsText(data, size));
  for (const Challenge& ch : parsed) {
    Check(!ch.scheme.empty() && IsLowercase(ch.scheme), "a scheme is a lowercase token");
    for (const auto& [key, value] : ch.params) {
      Check(!key.empty() && IsLowercase(key), "a parameter name is a lowercase token");
    }
  }
  const std::vector<Challenge> again = ParseWwwAuthenticate(Header(parsed));
  Check(again.size() == parsed.size(), "written back, the challenges parse to as many");
  for (size_t i = 0; i < parsed.size(); ++i) {
    Check(again[i].scheme == parsed[i].scheme && again[i].params == parsed[i].params,
          "written back, each challenge parses to itself");
  }
  return 0;
}
