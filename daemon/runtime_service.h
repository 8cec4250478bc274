// RuntimeService over gRPC: each built RPC forwards to a Server handler through
// HandleRpc; RPCs not built yet fall through to the generated base class,
// whose UNIMPLEMENTED answer the interceptor names.
#pragma once

#include "runtime/v1/api.grpc.pb.h"

namespace berth::daemon {

class Server;

class RuntimeServiceImpl final : public runtime::v1::RuntimeService::Service {
 public:
  explicit RuntimeServiceImpl(Server& server) : server_(server) {}

  grpc::Status Version(grpc::ServerContext*, const runtime::v1::VersionRequest* req,
                       runtime::v1::VersionResponse* resp) override;
  grpc::Status Status(grpc::ServerContext*, const runtime::v1::StatusRequest* req,
                      runtime::v1::StatusResponse* resp) override;
  grpc::Status RuntimeConfig(grpc::ServerContext*, const runtime::v1::RuntimeConfigRequest* req,
                             runtime::v1::RuntimeConfigResponse* resp) override;

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
  grpc::Status ListPodSandbox(grpc::ServerContext*, const runtime::v1::ListPodSandboxRequest* req,
                              runtime::v1::ListPodSandboxResponse* resp) override;
  grpc::Status StreamPodSandboxes(
      grpc::ServerContext*, const runtime::v1::StreamPodSandboxesRequest* req,
      grpc::ServerWriter<runtime::v1::StreamPodSandboxesResponse>* writer) override;

 private:
  Server& server_;
};

}  // namespace berth::daemon
