// ContainerStats and ListContainerStats.
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

Status Server::ContainerStats(const rt::ContainerStatsRequest&, rt::ContainerStatsResponse*) {
  return Unimplemented("ContainerStats is not built yet");
}

Status Server::ListContainerStats(const rt::ListContainerStatsRequest&,
                                  rt::ListContainerStatsResponse*) {
  return Unimplemented("ListContainerStats is not built yet");
}

}  // namespace berth::daemon
