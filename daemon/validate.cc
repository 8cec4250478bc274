#include "daemon/validate.h"

#include <algorithm>
#include <cctype>

#include "daemon/internal_annotations.h"
#include "pkg/base/inet_address.h"
#include "pkg/base/quote.h"
#include "pkg/registry/auth_config.h"

namespace berth::daemon {

namespace {

bool HasControlCharacter(const std::string& value) {
  return std::any_of(value.begin(), value.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// The value is quoted and escaped: it may hold a newline that would forge a log line.
Status Bad(const std::string& field, const std::string& value, const std::string& why) {
  return InvalidArgument(field + " " + QuoteForMessage(value) + " " + why);
}
}  // namespace

Status CheckSafeName(const std::string& field, const std::string& value) {
  if (value.empty()) return InvalidArgument(field + " is required");
  if (value.size() > 253) return Bad(field, value.substr(0, 64) + "...", "is longer than 253");
  if (value == "." || value == "..") return Bad(field, value, "is not a valid name");
  for (unsigned char c : value) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') {
      return Bad(field, value, "may only contain letters, digits, '.', '_' and '-'");
    }
  }
  return OkStatus();
}

Status CheckHostname(const std::string& field, const std::string& value) {
  if (value.size() > 64) return Bad(field, value, "is longer than 64 characters");
  size_t label = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = value[i];
    if (c == '.') {
      if (label == 0) return Bad(field, value, "has an empty label");
      label = 0;
      continue;
    }
    if (!std::isalnum(c) && c != '-') {
      return Bad(field, value, "may only contain letters, digits, '-' and '.'");
    }
    if (c == '-' && (label == 0 || i + 1 == value.size() || value[i + 1] == '.')) {
      return Bad(field, value, "has a label starting or ending with '-'");
    }
    ++label;
  }
  if (!value.empty() && label == 0) return Bad(field, value, "ends with '.'");
  return OkStatus();
}

bool IsIp(const std::string& value) {
  unsigned char buf[16];
  return inet_pton(AF_INET, value.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, value.c_str(), buf) == 1;
}

Status CheckIp(const std::string& field, const std::string& value) {
  if (IsIp(value)) return OkStatus();
  return Bad(field, value, "is not an IP address");
}

Status CheckAbsolutePath(const std::string& field, const std::string& value) {
  if (value.empty() || value[0] != '/') return Bad(field, value, "must be an absolute path");
  if (value.find('\0') != std::string::npos || value.find('\n') != std::string::npos) {
    return Bad(field, value, "contains a control character");
  }
  std::string padded = value + "/";
  if (padded.find("/../") != std::string::npos) return Bad(field, value, "may not contain '..'");
  return OkStatus();
}

Status CheckLabelsAndAnnotations(
    const std::string& who, const google::protobuf::Map<std::string, std::string>& labels,
    const google::protobuf::Map<std::string, std::string>& annotations) {
  for (const auto& [key, value] : labels) {
    if (key.empty()) return InvalidArgument(who + "labels: empty key");
  }
  for (const auto& [key, value] : annotations) {
    if (key.empty()) return InvalidArgument(who + "annotations: empty key");
    if (IsInternalAnnotation(key)) {
      return InvalidArgument(who + "annotations: " + QuoteForMessage(key) +
                             " is reserved for berth itself");
    }
  }
  return OkStatus();
}

Status CheckArgv(const std::string& field,
                 const google::protobuf::RepeatedPtrField<std::string>& argv) {
  for (int i = 0; i < argv.size(); ++i) {
    if (argv[i].find('\0') != std::string::npos) {
      return InvalidArgument(field + "[" + std::to_string(i) + "] holds a NUL");
    }
  }
  return OkStatus();
}

Status CheckAuthConfig(const runtime::v1::AuthConfig& a) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"username", &a.username()},
      {"password", &a.password()},
      {"auth", &a.auth()},
      {"server_address", &a.server_address()},
      {"identity_token", &a.identity_token()},
      {"registry_token", &a.registry_token()}};
  for (const auto& [name, value] : fields) {
    if (HasControlCharacter(*value)) {
      return InvalidArgument(std::string("auth.") + name + " holds a control character");
    }
  }
  registry::AuthConfig config;
  config.username = a.username();
  config.password = a.password();
  config.auth = a.auth();
  return registry::NormalizeAuthConfig(std::move(config)).status().WithContext("auth.auth");
}

Status CheckLinuxResources(const runtime::v1::LinuxContainerResources& r,
                           const std::string& field) {
  // -1 is "unlimited" where the kernel takes it.
  const struct {
    const char* name;
    int64_t value;
    int64_t min;
  } lower_bounds[] = {{"cpu_period", r.cpu_period(), 0},
                      {"cpu_quota", r.cpu_quota(), -1},
                      {"cpu_shares", r.cpu_shares(), 0},
                      {"memory_limit_in_bytes", r.memory_limit_in_bytes(), 0},
                      {"memory_swap_limit_in_bytes", r.memory_swap_limit_in_bytes(), -1}};
  for (const auto& b : lower_bounds) {
    if (b.value < b.min) {
      return InvalidArgument(field + "." + b.name + " " + std::to_string(b.value) +
                             " may not be below " + std::to_string(b.min));
    }
  }
  // The kernel's CFS bounds: period 1 ms..1 s, a quota at least 1 ms.
  if (r.cpu_period() != 0 && (r.cpu_period() < 1000 || r.cpu_period() > 1000000)) {
    return InvalidArgument(field + ".cpu_period " + std::to_string(r.cpu_period()) +
                           " is not in 1000..1000000 microseconds");
  }
  if (r.cpu_quota() > 0 && r.cpu_quota() < 1000) {
    return InvalidArgument(field + ".cpu_quota " + std::to_string(r.cpu_quota()) +
                           " is below 1000 microseconds");
  }
  if (r.cpu_shares() > 262144) {
    return InvalidArgument(field + ".cpu_shares " + std::to_string(r.cpu_shares()) +
                           " is above 262144");
  }
  if (r.oom_score_adj() < -1000 || r.oom_score_adj() > 1000) {
    return InvalidArgument(field + ".oom_score_adj " + std::to_string(r.oom_score_adj()) +
                           " is outside [-1000, 1000]");
  }
  return OkStatus();
}

Status CheckSingleLine(const std::string& field, const std::string& value) {
  if (HasControlCharacter(value)) return InvalidArgument(field + " contains a control character");
  return OkStatus();
}

}  // namespace berth::daemon
