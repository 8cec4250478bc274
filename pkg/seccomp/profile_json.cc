#include "pkg/seccomp/profile_json.h"

#include <algorithm>

namespace berth::seccomp {

using nlohmann::json;

std::string Describe(const json& value) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    const bool cut = text.size() > 64;
    if (cut) text.resize(64);
    // replace: a cut inside a UTF-8 sequence must not make dump() throw.
    return json(text).dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace) +
           (cut ? "..." : "");
  }
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
      return value.get<int64_t>() < 0 ? std::to_string(value.get<int64_t>()) : "a number";
    case json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case json::value_t::number_float:
      return "a fractional number";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "an unexpected value";
  }
}

Status CheckObject(const json& value, const std::string& where,
                   std::initializer_list<std::string_view> allowed) {
  if (!value.is_object())
    return InvalidArgument(where + " must be an object, not " + Describe(value));
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return InvalidArgument(where + " has unknown field " + Describe(json(it.key())));
    }
  }
  return OkStatus();
}

Status CheckArray(const json& value, const std::string& where) {
  if (!value.is_array())
    return InvalidArgument(where + " must be an array, not " + Describe(value));
  return OkStatus();
}

Result<uint64_t> GetUnsigned(const json& value, const std::string& where, uint64_t max) {
  // Parsed text stores non-negative integers as number_unsigned; JSON built
  // in code may hold them as number_integer.
  const bool non_negative =
      value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
  if (!non_negative || value.get<uint64_t>() > max) {
    return InvalidArgument(where + " " + Describe(value) + " must be an integer from 0 to " +
                           std::to_string(max));
  }
  return value.get<uint64_t>();
}

}  // namespace berth::seccomp
