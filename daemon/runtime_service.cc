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
BERTH_UNARY(UpdatePodSandboxResources, UpdatePodSandboxResources)
BERTH_UNARY(CreateContainer, CreateContainer)
BERTH_UNARY(StartContainer, StartContainer)
BERTH_UNARY(StopContainer, StopContainer)
BERTH_UNARY(RemoveContainer, RemoveContainer)
BERTH_UNARY(ContainerStatus, ContainerStatus)
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

bool IsRawMethod(std::string_view full_method_name) {
  return full_method_name == "/runtime.v1.RuntimeService/ListContainers" ||
         full_method_name == "/runtime.v1.RuntimeService/ListPodSandbox";
}

namespace {

// A raw RPC's request, parsed as the message it is.
template <typename Request>
grpc::Status ParseRaw(const grpc::ByteBuffer& raw, Request* req) {
  grpc::ByteBuffer copy(raw);  // Deserialize consumes its buffer; this shares the slices
  grpc::Status parsed = grpc::SerializationTraits<Request>::Deserialize(&copy, req);
  if (!parsed.ok()) {
    const std::string why = parsed.error_message();  // often empty
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the request does not parse as a " +
                                                                Request::descriptor()->full_name() +
                                                                (why.empty() ? "" : ": " + why));
  }
  return grpc::Status::OK;
}

// `bytes` as a message buffer, without copying them.
grpc::ByteBuffer ByteBufferOf(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* s) { delete static_cast<std::string*>(s); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

// A List RPC as a raw callback one, answered at once on the thread gRPC calls
// it on: the handler only reads memory. Finishing before returning also keeps
// the interceptor's call scope (thread-local, set when the request arrived)
// on the thread that set it, since the status hook runs inside Finish.
template <typename Request, typename Handler>
grpc::ServerUnaryReactor* AnswerRawList(const char* name, grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer& raw_req, grpc::ByteBuffer* raw_resp,
                                        Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request req;
  grpc::Status status = ParseRaw(raw_req, &req);
  if (status.ok()) {
    std::string encoded;
    status = HandleRpc(name, req, [&] { return handler(req, &encoded); });
    if (status.ok()) *raw_resp = ByteBufferOf(std::move(encoded));
  }
  reactor->Finish(status);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* RuntimeServiceImpl::ListPodSandbox(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* req,
                                                             grpc::ByteBuffer* resp) {
  return AnswerRawList<runtime::v1::ListPodSandboxRequest>(
      "ListPodSandbox", context, *req, resp, [this](const auto& r, std::string* encoded) {
        return server_.ListPodSandboxEncoded(r, encoded);
      });
}

grpc::ServerUnaryReactor* RuntimeServiceImpl::ListContainers(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* req,
                                                             grpc::ByteBuffer* resp) {
  return AnswerRawList<runtime::v1::ListContainersRequest>(
      "ListContainers", context, *req, resp, [this](const auto& r, std::string* encoded) {
        return server_.ListContainersEncoded(r, encoded);
      });
}

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
