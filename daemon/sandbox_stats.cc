// PodSandboxStats and ListPodSandboxStats.
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::PodSandboxStats(const rt::PodSandboxStatsRequest&, rt::PodSandboxStatsResponse*) {
  return Unimplemented("PodSandboxStats is not built yet");
}

Status Server::ListPodSandboxStats(const rt::ListPodSandboxStatsRequest&,
                                   rt::ListPodSandboxStatsResponse*) {
  return Unimplemented("ListPodSandboxStats is not built yet");
}

}  // namespace berth::daemon
