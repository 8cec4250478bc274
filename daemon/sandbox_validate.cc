#include "daemon/sandbox_validate.h"

#include <map>

#include "daemon/platform_hooks.h"
#include "daemon/validate.h"
#include "pkg/oci/sandbox_spec.h"
#include "pkg/oci/sysctl.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

Status ValidateMetadata(const rt::PodSandboxMetadata& m) {
  BERTH_RETURN_IF_ERROR(CheckSafeName("metadata.name", m.name()));
  BERTH_RETURN_IF_ERROR(CheckSafeName("metadata.namespace", m.namespace_()));
  BERTH_RETURN_IF_ERROR(CheckSafeName("metadata.uid", m.uid()));
  // '_' separates the parts of the reserved name k8s_<name>_<ns>_<uid>_<attempt>.
  if (m.name().find('_') != std::string::npos || m.namespace_().find('_') != std::string::npos) {
    return InvalidArgument("metadata.name and metadata.namespace may not contain '_'");
  }
  return OkStatus();
}

Status ValidateDns(const rt::DNSConfig& dns) {
  for (int i = 0; i < dns.servers_size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckIp("dns_config.servers[" + std::to_string(i) + "]", dns.servers(i)));
  }
  if (dns.searches_size() > 32)
    return InvalidArgument("dns_config.searches has more than 32 entries");
  for (int i = 0; i < dns.searches_size(); ++i) {
    std::string field = "dns_config.searches[" + std::to_string(i) + "]";
    if (dns.searches(i).empty() || dns.searches(i).find_first_of(" \t") != std::string::npos) {
      return InvalidArgument(field + " \"" + dns.searches(i) + "\" is not a domain");
    }
    BERTH_RETURN_IF_ERROR(CheckSingleLine(field, dns.searches(i)));
  }
  for (int i = 0; i < dns.options_size(); ++i) {
    std::string field = "dns_config.options[" + std::to_string(i) + "]";
    if (dns.options(i).empty() || dns.options(i).find_first_of(" \t") != std::string::npos) {
      return InvalidArgument(field + " \"" + dns.options(i) + "\" is not a resolver option");
    }
    BERTH_RETURN_IF_ERROR(CheckSingleLine(field, dns.options(i)));
  }
  return OkStatus();
}

Status ValidatePorts(const rt::PodSandboxConfig& c) {
  for (int i = 0; i < c.port_mappings_size(); ++i) {
    const auto& p = c.port_mappings(i);
    std::string field = "port_mappings[" + std::to_string(i) + "]";
    if (p.container_port() < 1 || p.container_port() > 65535) {
      return InvalidArgument(field + ".container_port " + std::to_string(p.container_port()) +
                             " is not in 1..65535");
    }
    if (p.host_port() < 0 || p.host_port() > 65535) {
      return InvalidArgument(field + ".host_port " + std::to_string(p.host_port()) +
                             " is not in 0..65535");
    }
    if (!rt::Protocol_IsValid(p.protocol())) {
      return InvalidArgument(field + ".protocol " + std::to_string(p.protocol()) + " is unknown");
    }
    if (!p.host_ip().empty()) BERTH_RETURN_IF_ERROR(CheckIp(field + ".host_ip", p.host_ip()));
  }
  return OkStatus();
}

Status ValidateNamespaces(const rt::NamespaceOption& ns) {
  if (!rt::NamespaceMode_IsValid(ns.network()) || !rt::NamespaceMode_IsValid(ns.pid()) ||
      !rt::NamespaceMode_IsValid(ns.ipc())) {
    return InvalidArgument("linux.security_context.namespace_options has an unknown mode");
  }
  // A pod owns or shares namespaces; only a container can target another one.
  if (ns.network() == rt::TARGET || ns.ipc() == rt::TARGET || ns.pid() == rt::TARGET) {
    return InvalidArgument(
        "linux.security_context.namespace_options: TARGET is only valid for "
        "a container's pid namespace");
  }
  if (ns.network() == rt::CONTAINER || ns.ipc() == rt::CONTAINER) {
    return InvalidArgument(
        "linux.security_context.namespace_options: network and ipc must be "
        "POD or NODE for a pod");
  }
  if (ns.has_userns_options() && ns.userns_options().mode() == rt::POD) {
    return Unimplemented(
        "linux.security_context.namespace_options.userns_options: user "
        "namespaces are not supported by berth yet");
  }
  return OkStatus();
}

Status ValidateSeccomp(const rt::SecurityProfile& p, const std::string& field) {
  switch (p.profile_type()) {
    case rt::SecurityProfile::RuntimeDefault:
    case rt::SecurityProfile::Unconfined:
      return OkStatus();
    case rt::SecurityProfile::Localhost:
      return CheckAbsolutePath(field + ".localhost_ref", p.localhost_ref());
    default:
      return InvalidArgument(field + ".profile_type " + std::to_string(p.profile_type()) +
                             " is unknown");
  }
}

Status ValidateLinux(const rt::LinuxPodSandboxConfig& l, const std::string& cgroup_manager) {
  if (!l.cgroup_parent().empty()) {
    auto manager =
        cgroup_manager == "systemd" ? oci::CgroupManager::kSystemd : oci::CgroupManager::kCgroupfs;
    // Any well-formed sandbox ID will do: only the parent is being checked.
    const std::string probe_id(64, '0');
    Result<std::string> path = oci::SandboxCgroupsPath(manager, l.cgroup_parent(), probe_id);
    if (!path.ok()) return path.status().WithContext("linux.cgroup_parent");
  }
  const auto& sc = l.security_context();
  BERTH_RETURN_IF_ERROR(ValidateNamespaces(sc.namespace_options()));
  if (sc.has_run_as_user() &&
      (sc.run_as_user().value() < 0 || sc.run_as_user().value() > 4294967294LL)) {
    return InvalidArgument("linux.security_context.run_as_user " +
                           std::to_string(sc.run_as_user().value()) + " is not a valid uid");
  }
  if (sc.has_run_as_group() &&
      (sc.run_as_group().value() < 0 || sc.run_as_group().value() > 4294967294LL)) {
    return InvalidArgument("linux.security_context.run_as_group " +
                           std::to_string(sc.run_as_group().value()) + " is not a valid gid");
  }
  for (int64_t g : sc.supplemental_groups()) {
    if (g < 0 || g > 4294967294LL) {
      return InvalidArgument("linux.security_context.supplemental_groups: " + std::to_string(g) +
                             " is not a valid gid");
    }
  }
  if (sc.has_seccomp()) {
    BERTH_RETURN_IF_ERROR(ValidateSeccomp(sc.seccomp(), "linux.security_context.seccomp"));
  }
  std::map<std::string, std::string> sysctls(l.sysctls().begin(), l.sysctls().end());
  BERTH_RETURN_IF_ERROR(oci::ValidateSysctls(sysctls, sc.namespace_options().network() != rt::NODE,
                                             sc.namespace_options().ipc() != rt::NODE)
                            .WithContext("linux.sysctls"));
  if (l.has_overhead()) BERTH_RETURN_IF_ERROR(CheckLinuxResources(l.overhead(), "linux.overhead"));
  if (l.has_resources()) {
    BERTH_RETURN_IF_ERROR(CheckLinuxResources(l.resources(), "linux.resources"));
  }
  return OkStatus();
}

}  // namespace

Status ValidatePodSandboxConfig(const rt::PodSandboxConfig& c, const std::string& cgroup_manager) {
  if (!c.has_metadata()) return InvalidArgument("metadata is required");
  BERTH_RETURN_IF_ERROR(ValidateMetadata(c.metadata()));
  BERTH_RETURN_IF_ERROR(ValidatePodPlatformConfig(c, platform::GmsaSupported()));
  if (!c.hostname().empty()) BERTH_RETURN_IF_ERROR(CheckHostname("hostname", c.hostname()));
  if (!c.log_directory().empty()) {
    BERTH_RETURN_IF_ERROR(CheckAbsolutePath("log_directory", c.log_directory()));
  }
  if (c.has_dns_config()) BERTH_RETURN_IF_ERROR(ValidateDns(c.dns_config()));
  BERTH_RETURN_IF_ERROR(ValidatePorts(c));
  BERTH_RETURN_IF_ERROR(CheckLabelsAndAnnotations("", c.labels(), c.annotations()));
  if (c.has_linux()) BERTH_RETURN_IF_ERROR(ValidateLinux(c.linux(), cgroup_manager));
  return OkStatus();
}

}  // namespace berth::daemon
