#include "test/integration/harness/object_snapshot.h"

namespace berth::testing {

namespace {

std::string Failed(const grpc::Status& s) {
  return "gone: " + std::to_string(s.error_code()) + " " + s.error_message();
}

}  // namespace

ObjectSnapshot SnapshotObjects(CriClient& cri, const std::set<std::string>& pod_ids,
                               const std::set<std::string>& container_ids) {
  ObjectSnapshot out;
  for (const auto& id : pod_ids) {
    Reply<rt::PodSandboxStatusResponse> r = cri.PodStatus(id);
    if (!r.ok()) {
      out[id] = Failed(r.status);
      continue;
    }
    const rt::PodSandboxStatus& st = r.response.status();
    std::string line = "pod " + st.metadata().name() + " " + rt::PodSandboxState_Name(st.state()) +
                       " created " + std::to_string(st.created_at()) + " ip " + st.network().ip();
    for (const auto& more : st.network().additional_ips()) line += " " + more.ip();
    out[id] = line;
  }
  for (const auto& id : container_ids) {
    Reply<rt::ContainerStatusResponse> r = cri.ContainerStatus(id);
    if (!r.ok()) {
      out[id] = Failed(r.status);
      continue;
    }
    const rt::ContainerStatus& st = r.response.status();
    out[id] = "container " + st.metadata().name() + " image " + st.image_ref() + " " +
              rt::ContainerState_Name(st.state()) + " created " + std::to_string(st.created_at()) +
              " started " + std::to_string(st.started_at()) + " finished " +
              std::to_string(st.finished_at()) + " exit " + std::to_string(st.exit_code());
  }
  return out;
}

}  // namespace berth::testing
