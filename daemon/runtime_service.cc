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

grpc::Status RuntimeServiceImpl::Status(grpc::ServerContext*, const runtime::v1::StatusRequest* req,
                                        runtime::v1::StatusResponse* resp) {
  return BERTH_FORWARD(Status, RuntimeStatus);
}

grpc::Status RuntimeServiceImpl::RuntimeConfig(grpc::ServerContext*,
                                               const runtime::v1::RuntimeConfigRequest* req,
                                               runtime::v1::RuntimeConfigResponse* resp) {
  return BERTH_FORWARD(RuntimeConfig, RuntimeConfig);
}

// One RPC, one line: the generated signature forwarding to its handler.
#define BERTH_UNARY(rpc, handler)                                                                  \
  grpc::Status RuntimeServiceImpl::rpc(grpc::ServerContext*, const runtime::v1::rpc##Request* req, \
                                       runtime::v1::rpc##Response* resp) {                         \
    return BERTH_FORWARD(rpc, handler);                                                            \
  }

BERTH_UNARY(UpdateRuntimeConfig, UpdateRuntimeConfig)
BERTH_UNARY(RunPodSandbox, RunPodSandbox)
BERTH_UNARY(StopPodSandbox, StopPodSandbox)
BERTH_UNARY(RemovePodSandbox, RemovePodSandbox)
BERTH_UNARY(PodSandboxStatus, PodSandboxStatus)
BERTH_UNARY(ListPodSandbox, ListPodSandbox)
BERTH_UNARY(UpdatePodSandboxResources, UpdatePodSandboxResources)
BERTH_UNARY(CreateContainer, CreateContainer)
BERTH_UNARY(StartContainer, StartContainer)
BERTH_UNARY(StopContainer, StopContainer)
BERTH_UNARY(RemoveContainer, RemoveContainer)
BERTH_UNARY(ContainerStatus, ContainerStatus)
BERTH_UNARY(ListContainers, ListContainers)
BERTH_UNARY(ExecSync, ExecSync)
BERTH_UNARY(UpdateContainerResources, UpdateContainerResources)
BERTH_UNARY(ReopenContainerLog, ReopenContainerLog)
BERTH_UNARY(Exec, Exec)
BERTH_UNARY(Attach, Attach)
BERTH_UNARY(PortForward, PortForward)
BERTH_UNARY(ContainerStats, ContainerStats)
BERTH_UNARY(ListContainerStats, ListContainerStats)
BERTH_UNARY(PodSandboxStats, PodSandboxStats)
BERTH_UNARY(ListPodSandboxStats, ListPodSandboxStats)
BERTH_UNARY(ListMetricDescriptors, ListMetricDescriptors)
BERTH_UNARY(ListPodSandboxMetrics, ListPodSandboxMetrics)

namespace {
// Streamed lists send this many items per message, far below gRPC's limit.
constexpr int kStreamBatch = 500;

// Writes `items` in batches of kStreamBatch, each batch a Response whose
// repeated field `add` appends to.
template <typename Response, typename Items, typename Add>
berth::Status WriteInBatches(grpc::ServerWriter<Response>* writer, Items& items, Add add) {
  Response batch;
  int in_batch = 0;
  for (auto& item : items) {
    *add(batch) = std::move(item);
    if (++in_batch == kStreamBatch) {
      if (!writer->Write(batch)) return Cancelled("client went away");
      batch.Clear();
      in_batch = 0;
    }
  }
  if (in_batch > 0 && !writer->Write(batch)) return Cancelled("client went away");
  return OkStatus();
}
}  // namespace

grpc::Status RuntimeServiceImpl::StreamPodSandboxes(
    grpc::ServerContext*, const runtime::v1::StreamPodSandboxesRequest* req,
    grpc::ServerWriter<runtime::v1::StreamPodSandboxesResponse>* writer) {
  return HandleRpc("StreamPodSandboxes", *req, [&]() -> berth::Status {
    runtime::v1::ListPodSandboxRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListPodSandboxResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListPodSandbox(list_req, &all));
    return WriteInBatches(writer, *all.mutable_items(),
                          [](auto& batch) { return batch.add_pod_sandboxes(); });
  });
}

grpc::Status RuntimeServiceImpl::StreamContainers(
    grpc::ServerContext*, const runtime::v1::StreamContainersRequest* req,
    grpc::ServerWriter<runtime::v1::StreamContainersResponse>* writer) {
  return HandleRpc("StreamContainers", *req, [&]() -> berth::Status {
    runtime::v1::ListContainersRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListContainersResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListContainers(list_req, &all));
    return WriteInBatches(writer, *all.mutable_containers(),
                          [](auto& batch) { return batch.add_containers(); });
  });
}

grpc::Status RuntimeServiceImpl::StreamContainerStats(
    grpc::ServerContext*, const runtime::v1::StreamContainerStatsRequest* req,
    grpc::ServerWriter<runtime::v1::StreamContainerStatsResponse>* writer) {
  return HandleRpc("StreamContainerStats", *req, [&]() -> berth::Status {
    runtime::v1::ListContainerStatsRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListContainerStatsResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListContainerStats(list_req, &all));
    return WriteInBatches(writer, *all.mutable_stats(),
                          [](auto& batch) { return batch.add_container_stats(); });
  });
}

grpc::Status RuntimeServiceImpl::StreamPodSandboxStats(
    grpc::ServerContext*, const runtime::v1::StreamPodSandboxStatsRequest* req,
    grpc::ServerWriter<runtime::v1::StreamPodSandboxStatsResponse>* writer) {
  return HandleRpc("StreamPodSandboxStats", *req, [&]() -> berth::Status {
    runtime::v1::ListPodSandboxStatsRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListPodSandboxStatsResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListPodSandboxStats(list_req, &all));
    return WriteInBatches(writer, *all.mutable_stats(),
                          [](auto& batch) { return batch.add_pod_sandbox_stats(); });
  });
}

grpc::Status RuntimeServiceImpl::StreamPodSandboxMetrics(
    grpc::ServerContext*, const runtime::v1::StreamPodSandboxMetricsRequest* req,
    grpc::ServerWriter<runtime::v1::StreamPodSandboxMetricsResponse>* writer) {
  return HandleRpc("StreamPodSandboxMetrics", *req, [&]() -> berth::Status {
    runtime::v1::ListPodSandboxMetricsResponse all;
    BERTH_RETURN_IF_ERROR(server_.ListPodSandboxMetrics({}, &all));
    return WriteInBatches(writer, *all.mutable_pod_metrics(),
                          [](auto& batch) { return batch.add_pod_sandbox_metrics(); });
  });
}

grpc::Status RuntimeServiceImpl::GetContainerEvents(
    grpc::ServerContext* context, const runtime::v1::GetEventsRequest* req,
    grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) {
  return HandleRpc("GetContainerEvents", *req, [&] {
    return server_.StreamContainerEvents(
        // The headers tell the client it is subscribed.
        [writer] { writer->SendInitialMetadata(); }, [context] { return context->IsCancelled(); },
        [writer](const runtime::v1::ContainerEventResponse& e) { return writer->Write(e); },
        context->peer());
  });
}

}  // namespace berth::daemon
