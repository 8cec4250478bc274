// The one wrapper around every RPC, generic part: gives each call its
// CallContext (request id, objects, step; see call_context.h), times it,
// records it in the metrics, logs its outcome with the gRPC code's name, and
// gives UNIMPLEMENTED answers the name of the RPC that is missing.
// (Request logging needs the typed message and lives in rpc_handler.h.)
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <string>

namespace berth::metrics {
class DaemonMetrics;
}

namespace berth::daemon {

class CallTracker;

struct RpcObservers {
  metrics::DaemonMetrics* metrics = nullptr;  // null = record nothing
  CallTracker* tracker = nullptr;             // null = no slow-call watchdog
  // The runtime handler of the pod a call names by pod or container ID (any
  // unique prefix); "" when there is none.
  std::function<std::string(const std::string& pod_id, const std::string& container_id)>
      runtime_handler_of;
};

class RpcInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(RpcObservers observers = {});
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const RpcObservers observers_;
};

}  // namespace berth::daemon
