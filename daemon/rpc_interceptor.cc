#include "daemon/rpc_interceptor.h"

#include <google/protobuf/message.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>

#include "daemon/call_cancel.h"
#include "daemon/call_context.h"
#include "daemon/call_tracker.h"
#include "daemon/grpc_status.h"
#include "daemon/runtime_service.h"
#include "pkg/metrics/daemon_metrics.h"

namespace berth::daemon {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/runtime.v1.RuntimeService/ListMetricDescriptors" -> "RuntimeService.ListMetricDescriptors"
std::string ShortName(const char* method) {
  std::string m = method ? method : "?";
  if (!m.empty() && m[0] == '/') m.erase(0, 1);
  if (m.rfind("runtime.v1.", 0) == 0) m.erase(0, 11);
  auto slash = m.find('/');
  if (slash != std::string::npos) m[slash] = '.';
  return m;
}

// The generated code hands its messages to interceptors as void*; every CRI
// message is a full (reflection-capable) protobuf message, except those of
// raw methods (IsRawMethod), which are grpc::ByteBuffers.
const google::protobuf::Message* AsMessage(const void* m) {
  return static_cast<const google::protobuf::Message*>(m);
}

class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(grpc::experimental::ServerRpcInfo* info, const RpcObservers& observers)
      : observers_(observers),
        call_(std::make_shared<CallContext>(ShortName(info->method()))),
        server_stream_(info->type() == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING ||
                       info->type() == grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING),
        raw_(info->method() != nullptr && IsRawMethod(info->method())) {
    // The call's children and waits stop when the client cancels or its
    // deadline passes (see CallContext::cancel). Sync and callback RPCs alike.
    if (const grpc::ServerContextBase* context = info->server_context()) {
      call_->WatchClient(CancelTokenOf(*context));
    }
  }

  ~RpcInterceptor() override {
    call_->StopWatchingClient();
    if (observers_.tracker) observers_.tracker->Remove(call_.get());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      OnRequest(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      OnResponse(methods->GetSendMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // The generated base class answers unbuilt RPCs with an empty message.
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                              call_->method() + " is not implemented by berth yet");
        methods->ModifySendStatus(status);
      }
      Finish(status);
    }
    methods->Proceed();
  }

 private:
  // Before the handler, on its thread: the call's objects, its runtime
  // handler, and the call installed for the handler's log lines.
  void OnRequest(const void* message) {
    if (message == nullptr || scope_) return;  // a stream's later messages
    // The raw methods are the List calls, which name no object.
    CallObjects objects = raw_ ? CallObjects{} : ObjectsOf(*AsMessage(message));
    if (objects.runtime_handler.empty()) {
      objects.runtime_handler = ResolveHandler(objects.pod_id, objects.container_id);
    }
    call_->SetObjects(std::move(objects));
    scope_.emplace(call_);
    // A stream (GetContainerEvents, the stats streams) runs for as long as
    // its client listens: it is never "slow".
    if (observers_.tracker && !server_stream_) observers_.tracker->Add(call_);
  }

  // A call that created a pod (RunPodSandbox without a runtime_handler) is
  // labelled with the runtime the pod was routed to.
  void OnResponse(const void* message) {
    if (message == nullptr || raw_ || !call_->runtime_handler().empty()) return;
    CallObjects made = ObjectsOf(*AsMessage(message));
    call_->SetRuntimeHandler(ResolveHandler(made.pod_id, made.container_id));
  }

  std::string ResolveHandler(const std::string& pod_id, const std::string& container_id) const {
    if (!observers_.runtime_handler_of || (pod_id.empty() && container_id.empty())) return "";
    return observers_.runtime_handler_of(pod_id, container_id);
  }

  void Finish(const grpc::Status& status) {
    const double seconds = call_->ElapsedSeconds();
    const std::string_view code = GrpcCodeName(status.error_code());
    if (observers_.metrics) {
      observers_.metrics->RecordRpc(call_->method(), call_->runtime_handler(), code,
                                    server_stream_ ? std::nullopt : std::optional(seconds));
    }
    if (status.ok()) {
      spdlog::debug("rpc {} ok in {:.2f} ms", call_->method(), seconds * 1e3);
    } else {
      spdlog::info("rpc {} failed in {:.2f} ms: {}: {}", call_->method(), seconds * 1e3, code,
                   status.error_message());
    }
    // The gRPC context the probe reads may go with the answer.
    call_->StopWatchingClient();
    if (observers_.tracker) observers_.tracker->Remove(call_.get());
    scope_.reset();
  }

  const RpcObservers& observers_;  // the factory's, which outlives its calls
  std::shared_ptr<CallContext> call_;
  const bool server_stream_;        // the server sends a stream of messages
  const bool raw_;                  // its messages are bytes (IsRawMethod)
  std::optional<CallScope> scope_;  // set from the request until the status goes out
};

}  // namespace

RpcInterceptorFactory::RpcInterceptorFactory(RpcObservers observers)
    : observers_(std::move(observers)) {}

grpc::experimental::Interceptor* RpcInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcInterceptor(info, observers_);
}

}  // namespace berth::daemon
