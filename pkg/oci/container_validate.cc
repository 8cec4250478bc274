// ValidateContainerConfig: the checks on a CRI ContainerConfig that need no
// image or rootfs, plus the LSM (AppArmor, SELinux) choices.
#include <sys/stat.h>

#include <cstdio>
#include <set>

#include "pkg/base/quote.h"
#include "pkg/oci/container_internal.h"

namespace berth::oci {
namespace internal {

std::string Who(const std::string& name) {
  return "container " + QuoteForMessage(name);
}

bool IsCleanAbsolutePath(std::string_view p) {
  if (p.empty() || p[0] != '/' || p.size() > 4096) return false;
  if (p.size() > 1 && p.back() == '/') return false;
  for (char c : p) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  size_t start = 1;
  while (start < p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view comp = p.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<uint32_t> CheckId(int64_t value, const std::string& who, const std::string& field) {
  if (value < 0 || value > 0xFFFFFFFEll) {
    return InvalidArgument(who + ": " + field + " " + std::to_string(value) +
                           " is outside [0, 4294967294]");
  }
  return static_cast<uint32_t>(value);
}

HostSecurity DetectHostSecurity() {
  HostSecurity h;
  if (FILE* f = fopen("/sys/module/apparmor/parameters/enabled", "re")) {
    h.apparmor = fgetc(f) == 'Y';
    fclose(f);
  }
  struct stat st;
  h.selinux = stat("/sys/fs/selinux", &st) == 0 && S_ISDIR(st.st_mode);
  return h;
}

Result<std::string> AppArmorProfile(const runtime::v1::ContainerConfig& config,
                                    const HostSecurity& host) {
  const auto& sc = config.linux().security_context();
  const std::string who = Who(config.metadata().name());
  std::string field, localhost;
  if (sc.has_apparmor()) {
    field = "security_context.apparmor";
    switch (sc.apparmor().profile_type()) {
      case runtime::v1::SecurityProfile::RuntimeDefault:
      case runtime::v1::SecurityProfile::Unconfined:
        return std::string();
      case runtime::v1::SecurityProfile::Localhost:
        localhost = sc.apparmor().localhost_ref();
        if (localhost.starts_with("localhost/")) localhost.erase(0, 10);
        break;
      default:
        return InvalidArgument(who + ": " + field + ".profile_type " +
                               std::to_string(sc.apparmor().profile_type()) + " is unknown");
    }
  } else {
    field = "security_context.apparmor_profile";
    // The deprecated string field: older kubelets and crictl still send it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const std::string& p = sc.apparmor_profile();
#pragma GCC diagnostic pop
    if (p.empty() || p == "runtime/default" || p == "unconfined") return std::string();
    if (!p.starts_with("localhost/")) {
      return InvalidArgument(who + ": " + field + " " + QuoteForMessage(p) +
                             " is not \"runtime/default\", \"unconfined\" or \"localhost/<name>\"");
    }
    localhost = p.substr(10);
  }
  bool ok = !localhost.empty() && localhost.size() <= 255;
  for (char c : localhost) ok = ok && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!ok) {
    return InvalidArgument(who + ": " + field + ": AppArmor profile name " +
                           QuoteForMessage(localhost) + " is empty or not printable");
  }
  if (!host.apparmor) {
    return InvalidArgument(who + ": " + field + ": AppArmor profile " + QuoteForMessage(localhost) +
                           " requested, but AppArmor is not enabled on this host");
  }
  return localhost;
}

std::string SelinuxLabel(const runtime::v1::ContainerConfig& config, const HostSecurity& host) {
  const auto& o = config.linux().security_context().selinux_options();
  if (!host.selinux) return "";
  if (o.user().empty() && o.role().empty() && o.type().empty() && o.level().empty()) return "";
  return (o.user().empty() ? "system_u" : o.user()) + ":" +
         (o.role().empty() ? "system_r" : o.role()) + ":" +
         (o.type().empty() ? "container_t" : o.type()) + ":" +
         (o.level().empty() ? "s0" : o.level());
}

namespace {

bool HasNul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

// Kubernetes container names are DNS labels; crictl and tests use the same.
bool IsContainerName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

Status CheckPath(const std::string& who, const std::string& field, const std::string& path) {
  if (IsCleanAbsolutePath(path)) return OkStatus();
  return InvalidArgument(who + ": " + field + " " + QuoteForMessage(path) +
                         " is not a clean absolute path");
}

std::string Index(const char* list, int i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

Status CheckMounts(const runtime::v1::ContainerConfig& c, const std::string& who) {
  std::set<std::string> targets;
  for (int i = 0; i < c.mounts_size(); ++i) {
    const auto& m = c.mounts(i);
    const std::string at = Index("mounts", i);
    BERTH_RETURN_IF_ERROR(CheckPath(who, at + ".container_path", m.container_path()));
    if (m.has_image() || !m.image_sub_path().empty()) {
      return Unimplemented(who + ": " + at + ": image volume mounts are not supported yet");
    }
    BERTH_RETURN_IF_ERROR(CheckPath(who, at + ".host_path", m.host_path()));
    if (m.uidmappings_size() > 0 || m.gidmappings_size() > 0) {
      return Unimplemented(who + ": " + at + ": ID-mapped mounts are not supported yet");
    }
    if (!runtime::v1::MountPropagation_IsValid(m.propagation())) {
      return InvalidArgument(who + ": " + at + ".propagation " + std::to_string(m.propagation()) +
                             " is unknown");
    }
    if (m.recursive_read_only() &&
        (!m.readonly() || m.propagation() != runtime::v1::PROPAGATION_PRIVATE)) {
      return InvalidArgument(who + ": " + at +
                             ".recursive_read_only needs readonly and private propagation");
    }
    if (!targets.insert(m.container_path()).second) {
      return InvalidArgument(who + ": " + at + ".container_path " +
                             QuoteForMessage(m.container_path()) + " is mounted twice");
    }
  }
  return OkStatus();
}

Status CheckDevices(const runtime::v1::ContainerConfig& c, const std::string& who) {
  for (int i = 0; i < c.devices_size(); ++i) {
    const auto& d = c.devices(i);
    const std::string at = Index("devices", i);
    BERTH_RETURN_IF_ERROR(CheckPath(who, at + ".container_path", d.container_path()));
    BERTH_RETURN_IF_ERROR(CheckPath(who, at + ".host_path", d.host_path()));
    std::set<char> seen;
    for (char p : d.permissions()) {
      if ((p != 'r' && p != 'w' && p != 'm') || !seen.insert(p).second) {
        return InvalidArgument(who + ": " + at + ".permissions " +
                               QuoteForMessage(d.permissions()) + " is not a subset of \"rwm\"");
      }
    }
  }
  if (c.cdi_devices_size() > 0) {
    return Unimplemented(who + ": CDI_devices: CDI devices are not supported yet");
  }
  return OkStatus();
}

Status CheckSecurityContext(const runtime::v1::ContainerConfig& c, const PodContext& pod,
                            const HostSecurity& host, const std::string& who) {
  const auto& sc = c.linux().security_context();
  // Names only: what the node holds is applied when the spec is built.
  BERTH_RETURN_IF_ERROR(EffectiveCapabilities(c, pod, kEveryCapability).status());
  if (sc.capabilities().add_ambient_capabilities_size() > 0) {
    return Unimplemented(who + ": capabilities.add_ambient_capabilities is not supported yet");
  }
  if (sc.has_run_as_user()) {
    BERTH_RETURN_IF_ERROR(
        CheckId(sc.run_as_user().value(), who, "security_context.run_as_user").status());
  }
  if (sc.has_run_as_group()) {
    BERTH_RETURN_IF_ERROR(
        CheckId(sc.run_as_group().value(), who, "security_context.run_as_group").status());
    if (!sc.has_run_as_user() && sc.run_as_username().empty()) {
      return InvalidArgument(who +
                             ": security_context.run_as_group is set without run_as_user "
                             "or run_as_username");
    }
  }
  for (int i = 0; i < sc.supplemental_groups_size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        CheckId(sc.supplemental_groups(i), who, Index("security_context.supplemental_groups", i))
            .status());
  }
  const auto& ns = sc.namespace_options();
  if (!runtime::v1::NamespaceMode_IsValid(ns.pid())) {
    return InvalidArgument(who + ": namespace_options.pid " + std::to_string(ns.pid()) +
                           " is unknown");
  }
  if (ns.pid() == runtime::v1::TARGET && ns.target_id().empty()) {
    return InvalidArgument(who + ": namespace_options.pid is TARGET but target_id is empty");
  }
  if (ns.network() == runtime::v1::TARGET || ns.ipc() == runtime::v1::TARGET) {
    return InvalidArgument(who + ": namespace_options: TARGET is only valid for pid");
  }
  if (ns.has_userns_options() && ns.userns_options().mode() != runtime::v1::NODE) {
    return Unimplemented(who +
                         ": namespace_options.userns_options: user namespaces are not "
                         "supported yet");
  }
  for (int i = 0; i < sc.masked_paths_size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        CheckPath(who, Index("security_context.masked_paths", i), sc.masked_paths(i)));
  }
  for (int i = 0; i < sc.readonly_paths_size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        CheckPath(who, Index("security_context.readonly_paths", i), sc.readonly_paths(i)));
  }
  if (sc.has_seccomp() && sc.seccomp().profile_type() == runtime::v1::SecurityProfile::Localhost &&
      sc.seccomp().localhost_ref().empty()) {
    return InvalidArgument(who + ": security_context.seccomp is Localhost without localhost_ref");
  }
  BERTH_RETURN_IF_ERROR(AppArmorProfile(c, host).status());
  if (host.selinux) {
    const auto& o = sc.selinux_options();
    for (const std::string* part : {&o.user(), &o.role(), &o.type()}) {
      if (part->find(':') != std::string::npos || HasNul(*part) ||
          part->find('\n') != std::string::npos) {
        return InvalidArgument(who + ": security_context.selinux_options " +
                               QuoteForMessage(*part) + " is not a valid label part");
      }
    }
    if (HasNul(o.level()) || o.level().find('\n') != std::string::npos) {
      return InvalidArgument(who + ": security_context.selinux_options.level " +
                             QuoteForMessage(o.level()) + " is not a valid level");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateContainerConfigOn(const runtime::v1::ContainerConfig& c, const PodContext& pod,
                                 const HostSecurity& host) {
  const std::string who = Who(c.metadata().name());
  if (!IsContainerName(c.metadata().name())) {
    return InvalidArgument(who + ": metadata.name must be 1-253 letters, digits, '-', '_' or '.'");
  }
  for (int i = 0; i < c.command_size(); ++i) {
    if (HasNul(c.command(i)))
      return InvalidArgument(who + ": " + Index("command", i) + " holds a NUL");
  }
  for (int i = 0; i < c.args_size(); ++i) {
    if (HasNul(c.args(i))) return InvalidArgument(who + ": " + Index("args", i) + " holds a NUL");
  }
  for (int i = 0; i < c.envs_size(); ++i) {
    const auto& e = c.envs(i);
    if (e.key().empty() || e.key().find('=') != std::string::npos || HasNul(e.key()) ||
        HasNul(e.value())) {
      return InvalidArgument(who + ": " + Index("envs", i) + ".key " + QuoteForMessage(e.key()) +
                             " is empty or holds '=' or NUL");
    }
  }
  if (!c.working_dir().empty() && (c.working_dir()[0] != '/' || HasNul(c.working_dir()))) {
    return InvalidArgument(who + ": working_dir " + QuoteForMessage(c.working_dir()) +
                           " is not absolute");
  }
  BERTH_RETURN_IF_ERROR(CheckMounts(c, who));
  BERTH_RETURN_IF_ERROR(CheckDevices(c, who));
  const auto& res = c.linux().resources();
  auto oci = ResourcesToOci(res);
  if (!oci.ok()) return oci.status().WithContext(who);
  if (res.oom_score_adj() < -1000 || res.oom_score_adj() > 1000) {
    return InvalidArgument(who + ": resources.oom_score_adj " +
                           std::to_string(res.oom_score_adj()) + " is outside [-1000, 1000]");
  }
  return CheckSecurityContext(c, pod, host, who);
}

}  // namespace internal

Status ValidateContainerConfig(const runtime::v1::ContainerConfig& config, const PodContext& pod) {
  return internal::ValidateContainerConfigOn(config, pod, internal::DetectHostSecurity());
}

}  // namespace berth::oci
