#include "daemon/rpc_interceptor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace berth::daemon {
namespace {

// "/runtime.v1.RuntimeService/ListMetricDescriptors" -> "RuntimeService.ListMetricDescriptors"
std::string ShortName(const char* method) {
  std::string m = method ? method : "?";
  if (!m.empty() && m[0] == '/') m.erase(0, 1);
  if (m.rfind("runtime.v1.", 0) == 0) m.erase(0, 11);
  auto slash = m.find('/');
  if (slash != std::string::npos) m[slash] = '.';
  return m;
}

class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RpcInterceptor(grpc::experimental::ServerRpcInfo* info)
      : name_(ShortName(info->method())), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // The generated base class answers unbuilt RPCs with an empty message.
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                              name_ + " is not implemented by berth yet");
        methods->ModifySendStatus(status);
      }
      Log(status);
    }
    methods->Proceed();
  }

 private:
  void Log(const grpc::Status& status) const {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          start_)
                    .count();
    if (status.ok()) {
      spdlog::debug("rpc {} ok in {:.2f} ms", name_, ms);
    } else {
      spdlog::info("rpc {} failed in {:.2f} ms: code {}: {}", name_, ms,
                   static_cast<int>(status.error_code()), status.error_message());
    }
  }

  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* RpcInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcInterceptor(info);
}

}  // namespace berth::daemon
