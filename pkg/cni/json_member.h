// Reading optional members of the JSON CNI plugins and libcni write (results,
// cache entries): a member that is missing or of another type reads as empty,
// since plugins differ in what they fill in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::cni {

// obj[key] when it is a string, else "".
inline std::string StringMember(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace berth::cni
