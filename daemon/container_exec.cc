// ExecSync: runs a command in a running container through the runtime's
// `exec`, with the container's own process settings (user, env, cwd,
// capabilities, no_new_privs), and returns what it wrote and its exit code.
#include <nlohmann/json.hpp>

#include "daemon/call_context.h"
#include "daemon/object_ids.h"
#include "daemon/server.h"
#include "daemon/validate.h"
#include "pkg/fs/atomic_file.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {
// The whole response (both streams, their truncation markers and the
// framing) must fit in one gRPC message of kGrpcMaxMessageBytes, the limit
// server.cc gives the CRI server and the kubelet gives its client: past it the
// call fails with ResourceExhausted and the output is lost. Each stream gets
// half of what is left after a margin for markers and framing, so at most
// that much is buffered per exec whatever the command writes.
constexpr size_t kGrpcMaxMessageBytes = 16 << 20;
constexpr size_t kResponseMargin = 64 << 10;
constexpr size_t kExecStreamLimit = (kGrpcMaxMessageBytes - kResponseMargin) / 2;
constexpr char kTruncatedMarker[] =
    "\n[berth: output truncated; ExecSync keeps 8355840 bytes per stream]\n";
static_assert(kExecStreamLimit == 8355840, "the marker names the limit");
// CRI's timeout 0 means "no timeout"; a day bounds a forgotten exec, and a
// longer timeout is cut to it (seconds beyond that would overflow milliseconds).
constexpr auto kNoTimeout = std::chrono::hours(24);

std::chrono::milliseconds ExecTimeout(int64_t seconds) {
  if (seconds <= 0 || seconds >= std::chrono::seconds(kNoTimeout).count()) return kNoTimeout;
  return std::chrono::seconds(seconds);
}
}  // namespace

Result<std::string> Server::WriteExecProcess(
    const Container& c, const google::protobuf::RepeatedPtrField<std::string>& cmd, bool tty) {
  BERTH_ASSIGN_OR_RETURN(std::string spec_text, ReadFile(c.bundle_dir + "/config.json"));
  nlohmann::json spec = nlohmann::json::parse(spec_text, nullptr, false);
  if (spec.is_discarded() || !spec.contains("process")) {
    return Internal("container " + c.id + ": config.json has no process");
  }
  nlohmann::json process = spec["process"];
  process["args"] = std::vector<std::string>(cmd.begin(), cmd.end());
  process["terminal"] = tty;
  process.erase("consoleSize");
  const std::string base = ContainerRunDir(c.id) + "/exec-" + NewObjectId().substr(0, 16);
  BERTH_RETURN_IF_ERROR(WriteFileTransient(base + ".json", process.dump(), 0600));
  return base;
}

ExecFilesCleanup::~ExecFilesCleanup() {
  unlink((base + ".json").c_str());
  unlink((base + ".pid").c_str());
}

Status Server::ExecSync(const rt::ExecSyncRequest& req, rt::ExecSyncResponse* resp) {
  if (req.container_id().empty()) return InvalidArgument("container_id is required");
  if (req.cmd().empty()) return InvalidArgument("cmd is required");
  BERTH_RETURN_IF_ERROR(CheckArgv("cmd", req.cmd()));
  if (req.timeout() < 0) return InvalidArgument("timeout may not be negative");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(req.container_id()));
  if (containers_.Read([&] { return c->state; }) != rt::CONTAINER_RUNNING) {
    return FailedPrecondition("container " + c->id + " is not running");
  }

  // 1. The process: the container's own, with the command replaced.
  CallStep("1 write the exec process");
  BERTH_ASSIGN_OR_RETURN(std::string base, WriteExecProcess(*c, req.cmd(), /*tty=*/false));
  ExecFilesCleanup cleanup{base};

  // 2. Run it (no state lock held: this may take as long as the command).
  CallStep("2 run the command");
  Result<oci::ExecOutput> out = RuntimeFor(*c).Exec(c->id, base + ".json", base + ".pid",
                                                    ExecTimeout(req.timeout()), kExecStreamLimit);
  if (!out.ok()) {
    // The command's own timeout, not the call's (whose cancellation or
    // deadline keeps the runtime's message).
    if (out.status().code() == Code::kDeadlineExceeded && !CurrentCancelToken().cancelled()) {
      return DeadlineExceeded("container " + c->id + ": command timed out after " +
                              std::to_string(req.timeout()) + "s and was killed");
    }
    return out.status();
  }
  resp->set_stdout(out->out + (out->out_truncated ? kTruncatedMarker : ""));
  resp->set_stderr(out->err + (out->err_truncated ? kTruncatedMarker : ""));
  resp->set_exit_code(out->exit_code);
  return OkStatus();
}

}  // namespace berth::daemon
