// Version: who we are and which CRI version we speak.
#include "daemon/server.h"

namespace berth::daemon {

namespace {
// The kubelet's own API version field, fixed by CRI at "0.1.0".
constexpr const char* kKubeletApiVersion = "0.1.0";
}  // namespace

Status Server::Version(const runtime::v1::VersionRequest&, runtime::v1::VersionResponse* resp) {
  resp->set_version(kKubeletApiVersion);
  resp->set_runtime_name("berth");
  resp->set_runtime_version(BERTH_VERSION);
  resp->set_runtime_api_version("v1");
  return OkStatus();
}

}  // namespace berth::daemon
