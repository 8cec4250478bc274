#include "pkg/oci/runtime_cli.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "pkg/base/cancel_scope.h"
#include "pkg/base/quote.h"
#include "pkg/oci/conmon.h"  // ReadPidFile
#include "pkg/oci/gvisor_port_forward.h"
#include "pkg/oci/gvisor_shim.h"
#include "pkg/oci/host_process_kill.h"
#include "pkg/oci/linux_signals.h"
#include "pkg/oci/net_sysctls_hidden.h"
#include "pkg/process/run.h"

namespace berth::oci {
namespace {

std::string Basename(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Extracts the value of msg="..." (with \" escapes) from a logrus line.
std::optional<std::string> LogrusMessage(std::string_view line) {
  size_t pos = line.find("msg=\"");
  if (pos == std::string_view::npos) return std::nullopt;
  std::string msg;
  for (size_t i = pos + 5; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      msg += line[++i];
      continue;
    }
    if (c == '"') break;
    msg += c;
  }
  return msg;
}

std::vector<std::string> StringArray(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& x : v) {
    if (x == s) return true;
  }
  return false;
}

}  // namespace

std::string CleanRuntimeError(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    std::string piece = Trim(line);
    if (piece.empty()) continue;
    if (auto msg = LogrusMessage(line)) piece = *msg;
    if (!out.empty()) out += "; ";
    out += piece;
  }
  return out;
}

bool IsNotExistError(std::string_view text) {
  return text.find("does not exist") != std::string_view::npos;
}

bool IsNotRunningError(std::string_view text) {
  return text.find("not running") != std::string_view::npos ||
         text.find("process already finished") != std::string_view::npos;
}

Result<ContainerState> ParseState(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal("runtime state output is not a JSON object: " +
                    QuoteForMessage(json_text, 200));
  }
  ContainerState st;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  st.id = str("id");
  st.status = str("status");
  st.bundle = str("bundle");
  st.created = str("created");
  if (auto it = j.find("pid"); it != j.end() && it->is_number_integer()) st.pid = it->get<int>();
  static const char* kKnown[] = {"creating", "created", "running", "paused", "stopped"};
  bool known = false;
  for (const char* k : kKnown) known = known || st.status == k;
  if (!known) {
    return Internal("runtime state output has unknown status " + QuoteForMessage(st.status));
  }
  return st;
}

Result<RuntimeFeatures> ParseFeatures(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal("runtime features output is not a JSON object: " +
                    QuoteForMessage(json_text, 200));
  }
  RuntimeFeatures f;
  f.raw = std::string(json_text);
  if (auto it = j.find("mountOptions"); it != j.end()) f.mount_options = StringArray(*it);
  f.recursive_read_only = Contains(f.mount_options, "rro");
  if (auto linux = j.find("linux"); linux != j.end() && linux->is_object()) {
    if (auto ns = linux->find("namespaces"); ns != linux->end()) f.namespaces = StringArray(*ns);
    f.user_namespaces = Contains(f.namespaces, "user");
    auto ext = linux->find("mountExtensions");
    if (ext != linux->end() && ext->is_object()) {
      auto idmap = ext->find("idmap");
      if (idmap != ext->end() && idmap->is_object()) {
        auto en = idmap->find("enabled");
        f.idmap_mounts = en != idmap->end() && en->is_boolean() && en->get<bool>();
      }
    }
  }
  return f;
}

OciRuntime::OciRuntime(OciRuntimeConfig config)
    : config_(std::move(config)),
      name_(config_.name.empty() ? Basename(config_.path) : config_.name) {}

std::vector<std::string> OciRuntime::BaseArgv() const {
  std::vector<std::string> argv = {config_.path};
  if (!config_.root.empty()) {
    argv.push_back("--root");
    argv.push_back(config_.root);
  }
  if (config_.systemd_cgroup) argv.push_back("--systemd-cgroup");
  for (std::string& flag : RuntimeKindGlobalFlags(config_.kind)) argv.push_back(std::move(flag));
  return argv;
}

Result<OciRuntime::Output> OciRuntime::Run(const std::string& verb, const std::string& id,
                                           std::vector<std::string> args,
                                           std::string stdin_data) const {
  process::RunOptions run;
  run.argv = BaseArgv();
  run.argv.push_back(verb);
  for (auto& a : args) run.argv.push_back(std::move(a));
  run.stdin_data = std::move(stdin_data);
  run.timeout = config_.timeout;
  std::string what = name_ + " " + verb + (id.empty() ? "" : " " + id);
  auto r = process::RunToCompletion(run);
  if (!r.ok()) return r.status().WithContext(what);
  if (!r->success()) {
    std::string msg = CleanRuntimeError(r->err);
    if (msg.empty()) msg = r->Describe();
    Code code = IsNotExistError(msg) ? Code::kNotFound : Code::kInternal;
    return Status(code, what + ": " + msg);
  }
  return Output{std::move(r->out), std::move(r->err)};
}

Result<ContainerState> OciRuntime::State(const std::string& id) const {
  BERTH_ASSIGN_OR_RETURN(Output o, Run("state", id, {id}));
  auto st = ParseState(o.out);
  if (!st.ok()) return st.status().WithContext(name_ + " state " + id);
  return st;
}

Result<OciRuntime::Output> OciRuntime::RunHidingNetSysctls(const std::string& verb,
                                                           const std::string& id,
                                                           std::vector<std::string> args) const {
  std::optional<Result<Output>> out;
  BERTH_RETURN_IF_ERROR(RunWithNetSysctlsHidden(name_ + " " + verb + " " + id,
                                                [&] { out = Run(verb, id, std::move(args)); }));
  return std::move(*out);
}

Status OciRuntime::Start(const std::string& id) const {
  if (config_.kind == RuntimeKind::kGvisor) {
    // A pod's later containers start through the shim conmon runs for them
    // (gvisor_shim.h): runsc gives them the stdio of `runsc start`, and the
    // shim holds conmon's.
    BERTH_ASSIGN_OR_RETURN(ContainerState st, State(id));
    Status through_shim = StartThroughGvisorShim(st.bundle, config_.timeout);
    if (through_shim.code() != Code::kNotFound) {
      if (through_shim.ok() || through_shim.code() == Code::kInternal) return through_shim;
      return through_shim.WithContext(name_ + " start " + id);
    }
    // runsc sets up the pod's network at the start of the pod's first
    // container, and first checks it was not handed the host's network
    // namespace. The check in Debian 12's runsc (20221219) is whether
    // /proc/sys/net/core/rmem_default exists, which newer kernels (this one:
    // 6.x) show in every network namespace, so runsc refuses every pod.
    // Hidden, the check passes; the question it asks is answered by berth
    // instead: a pod's spec names its own pinned network namespace, and
    // host-network pods never reach gVisor (ChooseRuntime).
    return RunHidingNetSysctls("start", id, {id}).status();
  }
  return Run("start", id, {id}).status();
}

Status OciRuntime::Kill(const std::string& id, int signal, bool all) const {
  std::vector<std::string> args;
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  Status s = Run("kill", id, std::move(args)).status();
  // A process that exited between our look and the signal: nothing left to
  // signal, and conmon's exit file records how it ended (runc says "container
  // not running", crun and runsc "process already finished"/"not running").
  if (!s.ok() && s.code() == Code::kInternal && IsNotRunningError(s.message())) return OkStatus();
  return s;
}

Status OciRuntime::Delete(const std::string& id, bool force, const std::string& bundle) const {
  if (config_.kind == RuntimeKind::kGvisor) {
    // A container never started still has its shim waiting (with conmon
    // behind it): it must go with the container.
    if (!bundle.empty()) {
      AbandonGvisorShim(bundle);
    } else if (Result<ContainerState> st = State(id); st.ok()) {
      AbandonGvisorShim(st->bundle);
    }
  }
  std::vector<std::string> args;
  if (force) args.push_back("--force");
  args.push_back(id);
  auto r = Run("delete", id, std::move(args));
  if (r.ok() || r.status().code() == Code::kNotFound) return OkStatus();
  if (config_.kind == RuntimeKind::kGvisor) {
    // runsc goes on with its clean-up when one step fails: a sub-container
    // deleted while its sandbox shuts down fails to reach the sandbox
    // ("connecting to control server ... connection refused"), yet its state
    // is removed. With the state gone the delete is done.
    Result<ContainerState> left = State(id);
    if (!left.ok() && left.status().code() == Code::kNotFound) return OkStatus();
  }
  return r.status();
}

Status OciRuntime::Update(const std::string& id, const std::string& resources_json) const {
  if (config_.kind == RuntimeKind::kGvisor) {
    return Unimplemented("runtime " + name_ +
                         " (gVisor) cannot change the resources of container " + id +
                         ": runsc has no update command; recreate the container instead");
  }
  return Run("update", id, {"--resources", "-", id}, resources_json).status();
}

Result<RuntimeFeatures> OciRuntime::Features() const {
  auto run = Run("features", "", {});
  if (!run.ok()) {
    // A runtime without the command prints its usage (runsc, runc < 1.1:
    // "No help topic for 'features'"): it reports no features at all.
    const std::string& m = run.status().message();
    if (m.find("Usage:") != std::string::npos || m.find("No help topic") != std::string::npos) {
      return Unimplemented(name_ + " has no features command");
    }
    return run.status();
  }
  Output& o = *run;
  auto f = ParseFeatures(o.out);
  if (!f.ok()) return f.status().WithContext(name_ + " features");
  return f;
}

std::vector<std::string> OciRuntime::ExecArgv(const std::string& id,
                                              const std::string& process_json_path,
                                              const std::string& pid_file) const {
  std::vector<std::string> argv = BaseArgv();
  argv.push_back("exec");
  argv.push_back("--process");
  argv.push_back(process_json_path);
  // runsc's --pid-file would name runsc itself; the command's pid inside
  // the sandbox is what can kill it.
  argv.push_back(config_.kind == RuntimeKind::kGvisor ? "--internal-pid-file" : "--pid-file");
  argv.push_back(pid_file);
  argv.push_back(id);
  return argv;
}

void OciRuntime::KillExecProcess(const std::string& id, const std::string& pid_file) const {
  Result<pid_t> pid = ReadPidFile(pid_file);
  if (!pid.ok()) return;
  if (config_.kind == RuntimeKind::kGvisor) {
    // Signalling runsc exec would leave the command running in the sandbox.
    (void)Run("kill", id, {"--pid", std::to_string(*pid), id, std::to_string(linux_signal::kKill)});
    return;
  }
  if (*pid > 1) KillHostProcess(*pid);
}

Status OciRuntime::PrepareInfraRootfs(const std::string& rootfs) const {
  if (config_.kind != RuntimeKind::kGvisor) return OkStatus();
  return InstallGvisorPortRelay(rootfs).WithContext(name_ + " pod rootfs");
}

bool OciRuntime::OwnsPodLoopback() const {
  return config_.kind == RuntimeKind::kGvisor;
}

Result<ScopedFd> OciRuntime::DialPodLoopback(const std::string& sandbox_id, uint16_t port) const {
  if (!OwnsPodLoopback()) {
    return Unimplemented("runtime " + name_ + " leaves a pod's loopback to the host's kernel");
  }
  std::vector<std::string> argv = BaseArgv();
  for (const char* a : {"exec", "--cwd", "/"}) argv.push_back(a);
  argv.push_back(sandbox_id);
  argv.push_back(kGvisorPortRelayInPod);
  argv.push_back(std::to_string(port));
  return DialThroughPortRelay(argv, config_.timeout);
}

Result<ExecOutput> OciRuntime::Exec(const std::string& id, const std::string& process_json_path,
                                    const std::string& pid_file, std::chrono::milliseconds timeout,
                                    size_t output_limit) const {
  process::RunOptions run;
  run.argv = ExecArgv(id, process_json_path, pid_file);
  run.timeout = timeout;
  run.stdout_limit = output_limit;
  run.stderr_limit = output_limit;
  // The exec'd command lives in the container, outside the runtime's process
  // group: a timeout kills it first, while `runc exec` is still its parent
  // and reaps it (killed after it, the command would linger as a zombie
  // under the node's init, still visible in the container).
  run.on_timeout = [&] { KillExecProcess(id, pid_file); };
  auto r = process::RunToCompletion(run);
  if (!r.ok()) {
    // If the pid file came only after the first kill, try again (to its
    // end, also when the caller cancelled: that is why it is killed).
    if (r.status().code() == Code::kDeadlineExceeded || r.status().code() == Code::kCancelled) {
      UncancellableScope cleanup;
      run.on_timeout();
    }
    return r.status().WithContext(name_ + " exec " + id);
  }
  ExecOutput out;
  out.exit_code = r->term_signal != 0 ? 128 + r->term_signal : r->exit_code;
  out.out = std::move(r->out);
  out.err = std::move(r->err);
  out.out_truncated = r->out_truncated;
  out.err_truncated = r->err_truncated;
  return out;
}

}  // namespace berth::oci
