// RuntimeService over gRPC: each built RPC forwards to a Server handler through
// HandleRpc; RPCs not built yet fall through to the generated base class,
// whose UNIMPLEMENTED answer the interceptor names.
#pragma once

#include <string_view>

#include "runtime/v1/api.grpc.pb.h"

namespace berth::daemon {

class Server;

// ListContainers and ListPodSandbox are raw callback RPCs: their answers go
// out as bytes concatenated from each object's cached entry
// (list_entry_cache.h), never as a message built per call. Every other RPC
// is a sync one.
using RuntimeServiceBase = runtime::v1::RuntimeService::WithRawCallbackMethod_ListContainers<
    runtime::v1::RuntimeService::WithRawCallbackMethod_ListPodSandbox<
        runtime::v1::RuntimeService::Service>>;

// True for the methods whose messages reach interceptors as raw bytes
// (grpc::ByteBuffer), not as protobuf messages.
bool IsRawMethod(std::string_view full_method_name);

class RuntimeServiceImpl final : public RuntimeServiceBase {
 public:
  explicit RuntimeServiceImpl(Server& server) : server_(server) {}

  grpc::Status Version(grpc::ServerContext*, const runtime::v1::VersionRequest* req,
                       runtime::v1::VersionResponse* resp) override;
  grpc::Status Status(grpc::ServerContext*, const runtime::v1::StatusRequest* req,
                      runtime::v1::StatusResponse* resp) override;
  grpc::Status RuntimeConfig(grpc::ServerContext*, const runtime::v1::RuntimeConfigRequest* req,
                             runtime::v1::RuntimeConfigResponse* resp) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext*,
                                   const runtime::v1::UpdateRuntimeConfigRequest* req,
                                   runtime::v1::UpdateRuntimeConfigResponse* resp) override;

  grpc::Status RunPodSandbox(grpc::ServerContext*, const runtime::v1::RunPodSandboxRequest* req,
                             runtime::v1::RunPodSandboxResponse* resp) override;
  grpc::Status StopPodSandbox(grpc::ServerContext*, const runtime::v1::StopPodSandboxRequest* req,
                              runtime::v1::StopPodSandboxResponse* resp) override;
  grpc::Status RemovePodSandbox(grpc::ServerContext*,
                                const runtime::v1::RemovePodSandboxRequest* req,
                                runtime::v1::RemovePodSandboxResponse* resp) override;
  grpc::Status PodSandboxStatus(grpc::ServerContext*,
                                const runtime::v1::PodSandboxStatusRequest* req,
                                runtime::v1::PodSandboxStatusResponse* resp) override;
  grpc::ServerUnaryReactor* ListPodSandbox(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* req,
                                           grpc::ByteBuffer* resp) override;
  grpc::Status UpdatePodSandboxResources(
      grpc::ServerContext*, const runtime::v1::UpdatePodSandboxResourcesRequest* req,
      runtime::v1::UpdatePodSandboxResourcesResponse* resp) override;
#define BERTH_DECLARE_UNARY(rpc)                                               \
  grpc::Status rpc(grpc::ServerContext*, const runtime::v1::rpc##Request* req, \
                   runtime::v1::rpc##Response* resp) override;
  BERTH_DECLARE_UNARY(CreateContainer)
  BERTH_DECLARE_UNARY(StartContainer)
  BERTH_DECLARE_UNARY(StopContainer)
  BERTH_DECLARE_UNARY(RemoveContainer)
  BERTH_DECLARE_UNARY(ContainerStatus)
  BERTH_DECLARE_UNARY(ExecSync)
  BERTH_DECLARE_UNARY(UpdateContainerResources)
  BERTH_DECLARE_UNARY(ReopenContainerLog)
  BERTH_DECLARE_UNARY(Exec)
  BERTH_DECLARE_UNARY(Attach)
  BERTH_DECLARE_UNARY(PortForward)
  BERTH_DECLARE_UNARY(ContainerStats)
  BERTH_DECLARE_UNARY(ListContainerStats)
  BERTH_DECLARE_UNARY(PodSandboxStats)
  BERTH_DECLARE_UNARY(ListPodSandboxStats)
#undef BERTH_DECLARE_UNARY
  grpc::ServerUnaryReactor* ListContainers(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* req,
                                           grpc::ByteBuffer* resp) override;
  grpc::Status StreamContainers(
      grpc::ServerContext*, const runtime::v1::StreamContainersRequest* req,
      grpc::ServerWriter<runtime::v1::StreamContainersResponse>* writer) override;
  grpc::Status StreamPodSandboxes(
      grpc::ServerContext*, const runtime::v1::StreamPodSandboxesRequest* req,
      grpc::ServerWriter<runtime::v1::StreamPodSandboxesResponse>* writer) override;
  grpc::Status StreamContainerStats(
      grpc::ServerContext*, const runtime::v1::StreamContainerStatsRequest* req,
      grpc::ServerWriter<runtime::v1::StreamContainerStatsResponse>* writer) override;
  grpc::Status StreamPodSandboxStats(
      grpc::ServerContext*, const runtime::v1::StreamPodSandboxStatsRequest* req,
      grpc::ServerWriter<runtime::v1::StreamPodSandboxStatsResponse>* writer) override;
  grpc::Status ListMetricDescriptors(grpc::ServerContext*,
                                     const runtime::v1::ListMetricDescriptorsRequest* req,
                                     runtime::v1::ListMetricDescriptorsResponse* resp) override;
  grpc::Status ListPodSandboxMetrics(grpc::ServerContext*,
                                     const runtime::v1::ListPodSandboxMetricsRequest* req,
                                     runtime::v1::ListPodSandboxMetricsResponse* resp) override;
  grpc::Status StreamPodSandboxMetrics(
      grpc::ServerContext*, const runtime::v1::StreamPodSandboxMetricsRequest* req,
      grpc::ServerWriter<runtime::v1::StreamPodSandboxMetricsResponse>* writer) override;
  grpc::Status GetContainerEvents(
      grpc::ServerContext* context, const runtime::v1::GetEventsRequest* req,
      grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) override;

 private:
  Server& server_;
};

}  // namespace berth::daemon
