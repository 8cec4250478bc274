// OciRuntime: the runc-compatible command line of one OCI runtime.
//
// Every call runs `<path> --root <root> [--systemd-cgroup] <command> ...` as a
// child process (no shell) under a timeout; a failure carries the runtime's
// own error text: "runc kill <id>: container does not exist". Where a
// runtime family's command line differs from runc's (RuntimeKind), the
// difference is handled here, behind the same calls.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/fs/scoped_fd.h"
#include "pkg/oci/runtime_kind.h"

namespace berth::oci {

struct OciRuntimeConfig {
  std::string name;  // for messages ("runc"); empty = basename of path
  std::string path;  // the runtime binary
  std::string root;  // its state directory (--root); empty = the runtime's default
  bool systemd_cgroup = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // The runtime's family, as ProbeRuntimeIdentity found it.
  RuntimeKind kind = RuntimeKind::kRuncCompatible;
};

// `state` output: what the runtime knows of one container.
struct ContainerState {
  std::string id;
  std::string status;  // "creating", "created", "running", "paused" or "stopped"
  int pid = 0;         // 0 once stopped
  std::string bundle;
  std::string created;  // RFC 3339 as the runtime printed it
};
Result<ContainerState> ParseState(std::string_view json_text);

// `features` output, reduced to what berth reports and decides on.
struct RuntimeFeatures {
  // "rro" listed among mountOptions: recursive read-only mounts.
  bool recursive_read_only = false;
  // linux.mountExtensions.idmap.enabled: id-mapped mounts (runc >= 1.2).
  bool idmap_mounts = false;
  // "user" listed among linux.namespaces.
  bool user_namespaces = false;
  std::vector<std::string> mount_options;
  std::vector<std::string> namespaces;
  std::string raw;  // the runtime's JSON as printed
};
Result<RuntimeFeatures> ParseFeatures(std::string_view json_text);

struct ExecOutput {
  int exit_code = -1;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
};

class OciRuntime {
 public:
  explicit OciRuntime(OciRuntimeConfig config);

  const OciRuntimeConfig& config() const { return config_; }
  // Display name used in messages.
  const std::string& name() const { return name_; }

  // NotFound when the runtime does not know the container.
  Result<ContainerState> State(const std::string& id) const;
  Status Start(const std::string& id) const;
  // `signal` is a number; `all` sends it to every process of the container.
  // NotFound when the container does not exist.
  Status Kill(const std::string& id, int signal, bool all = false) const;
  // With `force`, a running container is killed first. A container the
  // runtime does not know counts as deleted (idempotent). `bundle`, when the
  // caller knows it, spares gVisor a `state` call to find its shim.
  Status Delete(const std::string& id, bool force = true, const std::string& bundle = "") const;
  // `resources_json` is an OCI LinuxResources object, passed on stdin.
  // Unimplemented for a runtime that cannot change a container's resources
  // (gVisor).
  Status Update(const std::string& id, const std::string& resources_json) const;
  // Unimplemented when the runtime has no `features` command (runc < 1.1,
  // gVisor).
  Result<RuntimeFeatures> Features() const;
  // Runs the command of ExecArgv and waits up to `timeout`; then the exec'd
  // process (KillExecProcess) and the runtime process are killed:
  // DeadlineExceeded.
  Result<ExecOutput> Exec(const std::string& id, const std::string& process_json_path,
                          const std::string& pid_file, std::chrono::milliseconds timeout,
                          size_t output_limit) const;
  // The argv of `exec --process <process_json_path> ... <id>`, run in the
  // foreground; through `pid_file` KillExecProcess finds the command.
  std::vector<std::string> ExecArgv(const std::string& id, const std::string& process_json_path,
                                    const std::string& pid_file) const;
  // SIGKILLs the command an ExecArgv run started (best effort: nothing
  // happens before the pid file exists). runc's pid file names the command on
  // the host; gVisor's command lives in the sandbox's kernel, so it is killed
  // there by its sandbox pid, and `runsc exec` then returns.
  void KillExecProcess(const std::string& id, const std::string& pid_file) const;

  // What a pod's infra rootfs needs besides berth-pause on this runtime
  // (gVisor: berth-port-relay, gvisor_port_forward.h); nothing for runc.
  Status PrepareInfraRootfs(const std::string& rootfs) const;
  // True when a pod's loopback is not the host kernel's in the pod's network
  // namespace but the runtime's own (gVisor's netstack): port-forward then
  // connects through DialPodLoopback.
  bool OwnsPodLoopback() const;
  // Connects to `port` on the loopback of pod `sandbox_id` from inside the
  // sandbox (OwnsPodLoopback runtimes only; Unimplemented otherwise).
  Result<ScopedFd> DialPodLoopback(const std::string& sandbox_id, uint16_t port) const;

  // The argv prefix every call uses: path, --root, --systemd-cgroup.
  std::vector<std::string> BaseArgv() const;

 private:
  struct Output {
    std::string out, err;
  };
  // Runs one command; non-zero exit becomes an error "<name> <verb> <id>: <stderr>".
  Result<Output> Run(const std::string& verb, const std::string& id, std::vector<std::string> args,
                     std::string stdin_data = "") const;
  // Run, from a thread whose private mount namespace hides /proc/sys/net
  // (see runtime_cli.cc for why gVisor's start needs it).
  Result<Output> RunHidingNetSysctls(const std::string& verb, const std::string& id,
                                     std::vector<std::string> args) const;

  OciRuntimeConfig config_;
  std::string name_;
};

// Turns runc's logrus lines (`time=".." level=error msg="..."`) into the plain
// message; other text is trimmed and returned as is.
std::string CleanRuntimeError(std::string_view stderr_text);

// Whether a runtime error text means "this container does not exist".
bool IsNotExistError(std::string_view text);
// Whether it means "the container's process has already exited" (a kill that
// came too late).
bool IsNotRunningError(std::string_view text);

}  // namespace berth::oci
