// Small strict-JSON helpers for reading hostile profile files: every check
// names the item (e.g. "syscalls[3].args[0]") in its error.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::seccomp {

// A value for an error message: a string quoted and escaped (at most 64
// bytes of it), anything else as its JSON type ("a number", "an object").
std::string Describe(const nlohmann::json& value);

// `value` is an object whose keys are all in `allowed`.
Status CheckObject(const nlohmann::json& value, const std::string& where,
                   std::initializer_list<std::string_view> allowed);
Status CheckArray(const nlohmann::json& value, const std::string& where);

// A JSON unsigned integer no larger than `max`.
Result<uint64_t> GetUnsigned(const nlohmann::json& value, const std::string& where, uint64_t max);

}  // namespace berth::seccomp
