// The one wrapper around every RPC, generic part: times each call, logs its
// outcome, and gives UNIMPLEMENTED answers the name of the RPC that is missing.
// (Request logging needs the typed message and lives in rpc_handler.h.)
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace berth::daemon {

class RpcInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace berth::daemon
