#include "daemon/runtime_service.h"

#include "daemon/rpc_handler.h"
#include "daemon/server.h"

namespace berth::daemon {

// Each line: the RPC's name for logs, then the handler it forwards to.
#define BERTH_FORWARD(rpc, handler) \
  HandleRpc(#rpc, *req, [&] { return server_.handler(*req, resp); })

grpc::Status RuntimeServiceImpl::Version(grpc::ServerContext*,
                                         const runtime::v1::VersionRequest* req,
                                         runtime::v1::VersionResponse* resp) {
  return BERTH_FORWARD(Version, Version);
}

grpc::Status RuntimeServiceImpl::Status(grpc::ServerContext*,
                                        const runtime::v1::StatusRequest* req,
                                        runtime::v1::StatusResponse* resp) {
  return BERTH_FORWARD(Status, RuntimeStatus);
}

grpc::Status RuntimeServiceImpl::RuntimeConfig(grpc::ServerContext*,
                                               const runtime::v1::RuntimeConfigRequest* req,
                                               runtime::v1::RuntimeConfigResponse* resp) {
  return BERTH_FORWARD(RuntimeConfig, RuntimeConfig);
}

// One RPC, one line: the generated signature forwarding to its handler.
#define BERTH_UNARY(rpc, handler)                                                       \
  grpc::Status RuntimeServiceImpl::rpc(grpc::ServerContext*, const runtime::v1::rpc##Request* req, \
                                       runtime::v1::rpc##Response* resp) {              \
    return BERTH_FORWARD(rpc, handler);                                                 \
  }

BERTH_UNARY(RunPodSandbox, RunPodSandbox)
BERTH_UNARY(StopPodSandbox, StopPodSandbox)
BERTH_UNARY(RemovePodSandbox, RemovePodSandbox)
BERTH_UNARY(PodSandboxStatus, PodSandboxStatus)
BERTH_UNARY(ListPodSandbox, ListPodSandbox)

namespace {
// Streamed lists send this many items per message, far below gRPC's limit.
constexpr int kStreamBatch = 500;
}  // namespace

grpc::Status RuntimeServiceImpl::StreamPodSandboxes(
    grpc::ServerContext*, const runtime::v1::StreamPodSandboxesRequest* req,
    grpc::ServerWriter<runtime::v1::StreamPodSandboxesResponse>* writer) {
  return HandleRpc("StreamPodSandboxes", *req, [&]() -> berth::Status {
    runtime::v1::ListPodSandboxRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListPodSandboxResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListPodSandbox(list_req, &all));
    runtime::v1::StreamPodSandboxesResponse batch;
    for (auto& item : *all.mutable_items()) {
      *batch.add_pod_sandboxes() = std::move(item);
      if (batch.pod_sandboxes_size() == kStreamBatch) {
        if (!writer->Write(batch)) return Cancelled("client went away");
        batch.Clear();
      }
    }
    if (batch.pod_sandboxes_size() > 0 && !writer->Write(batch)) {
      return Cancelled("client went away");
    }
    return OkStatus();
  });
}

}  // namespace berth::daemon
