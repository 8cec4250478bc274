#include "daemon/state_json_fields.h"

namespace berth::daemon {

namespace {

const nlohmann::json* Member(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

Status WrongType(const char* key, const char* want) {
  return InvalidArgument(std::string("\"") + key + "\" is not " + want);
}

// An integer in [min, max]; JSON numbers may be unsigned, signed or floating.
bool IntInRange(const nlohmann::json& v, int64_t min, int64_t max, int64_t* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) return false;
    *out = static_cast<int64_t>(u);
    return *out >= min;
  }
  if (!v.is_number_integer()) return false;
  const int64_t i = v.get<int64_t>();
  if (i < min || i > max) return false;
  *out = i;
  return true;
}

std::string Range(int64_t min, int64_t max) {
  return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

}  // namespace

Status ReadStringField(const nlohmann::json& obj, const char* key, std::string* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_string()) return WrongType(key, "a string");
  *out = v->get<std::string>();
  return OkStatus();
}

Status ReadBoolField(const nlohmann::json& obj, const char* key, bool* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_boolean()) return WrongType(key, "true or false");
  *out = v->get<bool>();
  return OkStatus();
}

Status ReadIntField(const nlohmann::json& obj, const char* key, int64_t min, int64_t max,
                    int64_t* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr) return OkStatus();
  int64_t n = 0;
  if (!IntInRange(*v, min, max, &n)) {
    return InvalidArgument(std::string("\"") + key + "\" is not " + Range(min, max));
  }
  *out = n;
  return OkStatus();
}

Status ReadStringListField(const nlohmann::json& obj, const char* key,
                           std::vector<std::string>* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_array()) return WrongType(key, "a list of strings");
  std::vector<std::string> list;
  for (const auto& e : *v) {
    if (!e.is_string()) return WrongType(key, "a list of strings");
    list.push_back(e.get<std::string>());
  }
  *out = std::move(list);
  return OkStatus();
}

Status ReadIntListField(const nlohmann::json& obj, const char* key, int64_t min, int64_t max,
                        std::vector<int64_t>* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_array()) return WrongType(key, "a list");
  std::vector<int64_t> list;
  for (const auto& e : *v) {
    int64_t n = 0;
    if (!IntInRange(e, min, max, &n)) {
      return InvalidArgument(std::string("\"") + key + "\" holds an element that is not " +
                             Range(min, max));
    }
    list.push_back(n);
  }
  *out = std::move(list);
  return OkStatus();
}

}  // namespace berth::daemon
