// Converts a Localhost profile (OCI LinuxSeccomp or docker/Kubernetes form)
// into the OCI form, refusing anything runc would reject or misread.
#include "pkg/seccomp/profile_parser.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "pkg/seccomp/libseccomp_names.h"
#include "pkg/seccomp/profile_json.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxErrno = 4095;      // the kernel clamps larger values to this
constexpr size_t kMaxArgs = 6;            // syscalls have six argument registers
constexpr size_t kMaxListenerPath = 107;  // sun_path less its terminating NUL

// An optional field: absent and null both mean "not set".
const json* Field(const json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string Item(const std::string& where, size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

class Converter {
 public:
  explicit Converter(const ConditionContext& context) : context_(context) {}

  Result<json> Run(const json& profile) {
    BERTH_RETURN_IF_ERROR(
        CheckObject(profile, "profile",
                    {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                     "flags", "listenerPath", "listenerMetadata"}));
    json out = json::object();

    // 1. The default action and its errno.
    const json* default_action = Field(profile, "defaultAction");
    if (default_action == nullptr) return InvalidArgument("defaultAction is missing");
    BERTH_ASSIGN_OR_RETURN(std::string action, Action(*default_action, "defaultAction"));
    if (action == "SCMP_ACT_NOTIFY") {
      return InvalidArgument("defaultAction SCMP_ACT_NOTIFY is not allowed (runc refuses it)");
    }
    out["defaultAction"] = action;
    if (const json* errno_ret = Field(profile, "defaultErrnoRet")) {
      if (!ActionTakesErrno(action)) {
        return InvalidArgument("defaultErrnoRet is set but defaultAction " + action +
                               " takes no errno");
      }
      BERTH_ASSIGN_OR_RETURN(uint64_t value, GetUnsigned(*errno_ret, "defaultErrnoRet", kMaxErrno));
      out["defaultErrnoRet"] = value;
    }

    // 2. Architectures, which the syscall names are then resolved for.
    BERTH_ASSIGN_OR_RETURN(json arches, Architectures(profile));
    if (!arches.empty()) out["architectures"] = arches;

    // 3. Filter flags and the notification listener.
    if (const json* flags = Field(profile, "flags")) {
      BERTH_RETURN_IF_ERROR(CheckArray(*flags, "flags"));
      for (size_t i = 0; i < flags->size(); ++i) {
        const json& flag = (*flags)[i];
        if (!flag.is_string() || !IsKnownFilterFlag(flag.get_ref<const std::string&>())) {
          return InvalidArgument(Item("flags", i) + " " + Describe(flag) + " is not a known flag");
        }
      }
      out["flags"] = *flags;
    }
    const json* listener = Field(profile, "listenerPath");
    if (listener != nullptr) {
      const bool ok = listener->is_string() && !listener->get_ref<const std::string&>().empty() &&
                      listener->get_ref<const std::string&>().front() == '/' &&
                      listener->get_ref<const std::string&>().size() <= kMaxListenerPath &&
                      listener->get_ref<const std::string&>().find('\0') == std::string::npos;
      if (!ok) {
        return InvalidArgument("listenerPath " + Describe(*listener) +
                               " must be an absolute socket path");
      }
      out["listenerPath"] = *listener;
    }
    if (const json* metadata = Field(profile, "listenerMetadata")) {
      if (!metadata->is_string()) {
        return InvalidArgument("listenerMetadata must be a string, not " + Describe(*metadata));
      }
      if (listener == nullptr)
        return InvalidArgument("listenerMetadata is set without listenerPath");
      out["listenerMetadata"] = *metadata;
    }

    // 4. The rules, dropping those whose conditions exclude this container.
    json rules = json::array();
    if (const json* syscalls = Field(profile, "syscalls")) {
      BERTH_RETURN_IF_ERROR(CheckArray(*syscalls, "syscalls"));
      for (size_t i = 0; i < syscalls->size(); ++i) {
        BERTH_ASSIGN_OR_RETURN(std::optional<json> rule,
                               Syscall((*syscalls)[i], Item("syscalls", i)));
        if (!rule) continue;
        if ((*rule)["action"] == "SCMP_ACT_NOTIFY" && listener == nullptr) {
          return InvalidArgument(Item("syscalls", i) +
                                 ".action SCMP_ACT_NOTIFY needs listenerPath");
        }
        rules.push_back(std::move(*rule));
      }
    }
    out["syscalls"] = std::move(rules);
    return out;
  }

 private:
  Result<std::string> Action(const json& value, const std::string& where) {
    if (!value.is_string() || !IsKnownAction(value.get_ref<const std::string&>())) {
      return InvalidArgument(where + " " + Describe(value) + " is not a known action");
    }
    return value.get<std::string>();
  }

  Result<uint32_t> Arch(const json& value, const std::string& where) {
    uint32_t token = value.is_string() ? ArchToken(value.get_ref<const std::string&>()) : 0;
    if (token == 0)
      return InvalidArgument(where + " " + Describe(value) + " is not a known architecture");
    return token;
  }

  // "architectures" as is, or from "archMap" the native entry and its
  // sub-architectures (as docker does); every name is checked either way.
  Result<json> Architectures(const json& profile) {
    json out = json::array();
    auto add = [&](const json& name, uint32_t token) {
      if (std::find(arch_tokens_.begin(), arch_tokens_.end(), token) != arch_tokens_.end()) return;
      arch_tokens_.push_back(token);
      out.push_back(name);
    };
    const json* arches = Field(profile, "architectures");
    const json* arch_map = Field(profile, "archMap");
    if (arches != nullptr && arch_map != nullptr) {
      return InvalidArgument("both architectures and archMap are set; use one");
    }
    if (arches != nullptr) {
      BERTH_RETURN_IF_ERROR(CheckArray(*arches, "architectures"));
      for (size_t i = 0; i < arches->size(); ++i) {
        BERTH_ASSIGN_OR_RETURN(uint32_t token, Arch((*arches)[i], Item("architectures", i)));
        add((*arches)[i], token);
      }
    }
    if (arch_map != nullptr) {
      BERTH_RETURN_IF_ERROR(CheckArray(*arch_map, "archMap"));
      for (size_t i = 0; i < arch_map->size(); ++i) {
        const json& entry = (*arch_map)[i];
        const std::string where = Item("archMap", i);
        BERTH_RETURN_IF_ERROR(CheckObject(entry, where, {"architecture", "subArchitectures"}));
        const json* main = Field(entry, "architecture");
        if (main == nullptr) return InvalidArgument(where + ".architecture is missing");
        BERTH_ASSIGN_OR_RETURN(uint32_t token, Arch(*main, where + ".architecture"));
        std::vector<std::pair<const json*, uint32_t>> subs;
        if (const json* sub = Field(entry, "subArchitectures")) {
          BERTH_RETURN_IF_ERROR(CheckArray(*sub, where + ".subArchitectures"));
          for (size_t j = 0; j < sub->size(); ++j) {
            BERTH_ASSIGN_OR_RETURN(uint32_t sub_token,
                                   Arch((*sub)[j], Item(where + ".subArchitectures", j)));
            subs.emplace_back(&(*sub)[j], sub_token);
          }
        }
        if (token != context_.native_arch) continue;
        add(*main, token);
        for (const auto& [name, sub_token] : subs) add(*name, sub_token);
      }
    }
    return out;
  }

  Result<std::optional<json>> Syscall(const json& entry, const std::string& where) {
    BERTH_RETURN_IF_ERROR(CheckObject(
        entry, where,
        {"names", "name", "action", "args", "errnoRet", "comment", "includes", "excludes"}));
    json rule = json::object();

    // names (OCI, docker) or name (older docker profiles), never both.
    const json* names = Field(entry, "names");
    const json* name = Field(entry, "name");
    if (names != nullptr && name != nullptr) {
      return InvalidArgument(where + " sets both names and name; use one");
    }
    if (names == nullptr && name == nullptr) return InvalidArgument(where + ".names is missing");
    json resolved = json::array();
    if (names != nullptr) {
      BERTH_RETURN_IF_ERROR(CheckArray(*names, where + ".names"));
      if (names->empty()) return InvalidArgument(where + ".names is empty");
      for (size_t i = 0; i < names->size(); ++i) {
        BERTH_RETURN_IF_ERROR(CheckSyscallName((*names)[i], Item(where + ".names", i)));
        resolved.push_back((*names)[i]);
      }
    } else {
      BERTH_RETURN_IF_ERROR(CheckSyscallName(*name, where + ".name"));
      resolved.push_back(*name);
    }
    rule["names"] = std::move(resolved);

    const json* action_value = Field(entry, "action");
    if (action_value == nullptr) return InvalidArgument(where + ".action is missing");
    BERTH_ASSIGN_OR_RETURN(std::string action, Action(*action_value, where + ".action"));
    rule["action"] = action;

    if (const json* errno_ret = Field(entry, "errnoRet")) {
      if (!ActionTakesErrno(action)) {
        return InvalidArgument(where + ".errnoRet is set but action " + action + " takes no errno");
      }
      BERTH_ASSIGN_OR_RETURN(uint64_t value,
                             GetUnsigned(*errno_ret, where + ".errnoRet", kMaxErrno));
      rule["errnoRet"] = value;
    }

    if (const json* args = Field(entry, "args")) {
      BERTH_RETURN_IF_ERROR(CheckArray(*args, where + ".args"));
      if (args->size() > kMaxArgs) {
        return InvalidArgument(where + ".args has " + std::to_string(args->size()) +
                               " conditions; at most 6");
      }
      json out_args = json::array();
      for (size_t i = 0; i < args->size(); ++i) {
        BERTH_ASSIGN_OR_RETURN(json arg, Arg((*args)[i], Item(where + ".args", i)));
        out_args.push_back(std::move(arg));
      }
      if (!out_args.empty()) rule["args"] = std::move(out_args);
    }

    if (const json* comment = Field(entry, "comment");
        comment != nullptr && !comment->is_string()) {
      return InvalidArgument(where + ".comment must be a string, not " + Describe(*comment));
    }
    const json null_filter;
    const json* includes = Field(entry, "includes");
    const json* excludes = Field(entry, "excludes");
    BERTH_ASSIGN_OR_RETURN(
        RuleFilter include_filter,
        ParseRuleFilter(includes ? *includes : null_filter, where + ".includes"));
    BERTH_ASSIGN_OR_RETURN(
        RuleFilter exclude_filter,
        ParseRuleFilter(excludes ? *excludes : null_filter, where + ".excludes"));
    if (!RuleApplies(include_filter, exclude_filter, context_)) return std::optional<json>();
    return std::optional<json>(std::move(rule));
  }

  // Known to libseccomp for the native arch and every profile arch, so runc
  // neither rejects the name nor skips the rule.
  Status CheckSyscallName(const json& value, const std::string& where) const {
    bool known = value.is_string() && IsKnownSyscall(value.get_ref<const std::string&>(), 0);
    for (size_t i = 0; known && i < arch_tokens_.size(); ++i) {
      known = IsKnownSyscall(value.get_ref<const std::string&>(), arch_tokens_[i]);
    }
    if (!known) return InvalidArgument(where + " " + Describe(value) + " is not a known syscall");
    return OkStatus();
  }

  Result<json> Arg(const json& arg, const std::string& where) {
    BERTH_RETURN_IF_ERROR(CheckObject(arg, where, {"index", "value", "valueTwo", "op"}));
    const json* index = Field(arg, "index");
    const json* value = Field(arg, "value");
    const json* op = Field(arg, "op");
    if (index == nullptr) return InvalidArgument(where + ".index is missing");
    if (value == nullptr) return InvalidArgument(where + ".value is missing");
    if (op == nullptr) return InvalidArgument(where + ".op is missing");
    BERTH_ASSIGN_OR_RETURN(uint64_t index_number,
                           GetUnsigned(*index, where + ".index", kMaxArgs - 1));
    constexpr uint64_t kMax64 = UINT64_MAX;
    BERTH_ASSIGN_OR_RETURN(uint64_t value_number, GetUnsigned(*value, where + ".value", kMax64));
    uint64_t value_two = 0;
    if (const json* two = Field(arg, "valueTwo")) {
      BERTH_ASSIGN_OR_RETURN(value_two, GetUnsigned(*two, where + ".valueTwo", kMax64));
    }
    if (!op->is_string() || !IsKnownOperator(op->get_ref<const std::string&>())) {
      return InvalidArgument(where + ".op " + Describe(*op) + " is not a known operator");
    }
    return json{
        {"index", index_number}, {"value", value_number}, {"valueTwo", value_two}, {"op", *op}};
  }

  const ConditionContext& context_;
  std::vector<uint32_t> arch_tokens_;  // the profile's architectures, deduplicated
};

}  // namespace

ConditionContext HostContext(const CapabilitySet& capabilities) {
  return ConditionContext{capabilities, NativeArchToken(), RunningKernel()};
}

Result<json> ConvertProfile(const json& profile, const ConditionContext& context) {
  return Converter(context).Run(profile);
}

}  // namespace berth::seccomp
