// CallContext: what one CRI call is, for the logs and the slow-call watchdog:
// a request id, the method, the objects it names and the step it is at.
//
// The RPC interceptor makes one per call and installs it on the thread that
// runs the handler (gRPC's sync server runs a unary call's interceptor hooks
// and its handler on one thread), so every log line written there carries
// "[req=<id> <objects>]" through the log pattern's %* flag, and a handler marks
// its numbered steps with one CallStep("...") line each.
#pragma once

#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/cancel.h"
#include "pkg/base/cancel_scope.h"

namespace google::protobuf {
class Message;
}

namespace berth::daemon {

// The objects a CRI request names (each "" when absent), already made safe
// for a log line.
struct CallObjects {
  std::string pod_id, container_id, pod_name, container_name, image, runtime_handler;
};

// Reads the fields CRI requests name their objects with (pod_sandbox_id,
// container_id, config.metadata, image.image, runtime_handler), whatever the
// request type.
CallObjects ObjectsOf(const google::protobuf::Message& request);

class CallContext {
 public:
  explicit CallContext(std::string method);

  const std::string& request_id() const { return request_id_; }
  const std::string& method() const { return method_; }
  std::chrono::steady_clock::time_point start() const { return start_; }
  double ElapsedSeconds() const;

  // Set once, before the handler runs (the interceptor's receive hook).
  void SetObjects(CallObjects objects);
  // The objects as the handler saw them (copies: read by other threads too).
  CallObjects objects() const;
  // The runtime handler the call's pod uses; set by the interceptor before
  // and (for a pod the call created) after the handler runs.
  void SetRuntimeHandler(std::string handler);
  std::string runtime_handler() const;

  // "[req=<id> pod=<id> ctr=<id> ...] ": what every log line of the call starts with.
  std::string LogPrefix() const;

  // The step the handler is at ("" before the first).
  void SetStep(std::string_view step);
  std::string step() const;

  // The call's cancellation: `client` (CancelTokenOf the call's gRPC
  // context: the client cancelled, or its deadline passed). Set once, before
  // the handler runs (the interceptor); until then, and without it, the call
  // is never cancelled. `client` is only asked until StopWatchingClient
  // (the gRPC context it reads goes with the answer); after that only its
  // deadline counts.
  void WatchClient(CancelToken client);
  void StopWatchingClient();
  // What the handler's children and waits stop with (CallScope installs it
  // as the thread's CurrentCancelToken()).
  CancelToken cancel() const;

 private:
  // Guards the client probe: the gRPC context it reads is gone once the call
  // has answered, while tokens copied from the call may live on.
  struct ClientWatch {
    std::mutex mu;
    std::optional<CancelToken> client;  // guarded by mu; empty once stopped
  };

  const std::string request_id_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  CallObjects objects_;  // guarded by mu_
  std::string prefix_;   // guarded by mu_
  std::string step_;     // guarded by mu_
  const std::shared_ptr<ClientWatch> client_watch_ = std::make_shared<ClientWatch>();
  CancelToken cancel_;  // guarded by mu_
};

// The call the current thread runs (null outside a CRI call).
std::shared_ptr<CallContext> CurrentCall();

// Installs `call` as the current thread's call, and its cancel() as the
// thread's CurrentCancelToken(), until destroyed (then the previous ones are
// back).
class CallScope {
 public:
  explicit CallScope(std::shared_ptr<CallContext> call);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  std::shared_ptr<CallContext> previous_;
  CancelScope cancel_;
};

// Marks the step the current call is at ("3 attach the network"); a call
// slower than a second names it in the log. Does nothing outside a call.
void CallStep(std::string_view step);

// A log formatter for `pattern` in which %* stands for the current call's
// LogPrefix() ("" outside a call).
std::unique_ptr<spdlog::formatter> CallAwareFormatter(const std::string& pattern);

}  // namespace berth::daemon
