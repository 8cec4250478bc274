// Typed reads of the members of a state.json (or an OCI spec's process
// object) that restore parses. These files live on disk between restarts and
// may have been damaged or edited by hand, so every member is checked for its
// type and range: a wrong one is an InvalidArgument naming it, never a
// nlohmann exception (which, escaping restore, would abort berthd).
//
// Each reader leaves *out untouched when the member is absent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/base/status.h"

namespace berth::daemon {

// Linux's PID_MAX_LIMIT (2^22): a recorded pid above it was not written by berth.
inline constexpr int64_t kMaxStatePid = 4194304;

Status ReadStringField(const nlohmann::json& obj, const char* key, std::string* out);
Status ReadBoolField(const nlohmann::json& obj, const char* key, bool* out);
Status ReadIntField(const nlohmann::json& obj, const char* key, int64_t min, int64_t max,
                    int64_t* out);
Status ReadStringListField(const nlohmann::json& obj, const char* key,
                           std::vector<std::string>* out);
Status ReadIntListField(const nlohmann::json& obj, const char* key, int64_t min, int64_t max,
                        std::vector<int64_t>* out);

}  // namespace berth::daemon
