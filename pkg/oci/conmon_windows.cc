// Windows build of conmon.h's driver (conmon.cc is the Linux one). conmon is
// a Linux program (it forks, reaps through a subreaper and serves attach on a
// unix socket); on Windows a container's monitor is the Host Compute Service,
// reached through hcsshim's runhcs or a containerd shim. The argv, sync
// message and pid file formats (conmon_protocol.cc) are shared.
#include "pkg/oci/conmon.h"

namespace berth::oci {
namespace {

Status ConmonIsLinuxOnly(const std::string& what) {
  return Unimplemented(what +
                       ": conmon is Linux-only; on Windows the Host Compute Service (through "
                       "runhcs or a containerd shim) monitors a container");
}

}  // namespace

Result<ConmonCreated> ConmonDriver::Create(const OciRuntime& runtime,
                                           const ConmonCreateRequest& req) const {
  return ConmonIsLinuxOnly("create container " + req.id + " with " + runtime.name() +
                           " through conmon " + config_.conmon_path);
}

Status ConmonDriver::ReopenLog(const std::string& bundle, const std::string& /*log_path*/,
                               std::chrono::milliseconds /*timeout*/) {
  return ConmonIsLinuxOnly("reopen the log of the container in " + bundle);
}

Status ConmonDriver::ResizeTerminal(const std::string& bundle, uint16_t /*height*/,
                                    uint16_t /*width*/) {
  return ConmonIsLinuxOnly("resize the terminal of the container in " + bundle);
}

}  // namespace berth::oci
