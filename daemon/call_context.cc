#include "daemon/call_context.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <spdlog/details/fmt_helper.h>

#include "daemon/object_ids.h"

namespace berth::daemon {
namespace {

thread_local std::shared_ptr<CallContext> t_current_call;

// Request fields are the client's: only characters IDs, names and image
// references use reach the log, and no more than an image reference needs.
std::string LogSafe(std::string_view value) {
  constexpr size_t kMax = 256;
  std::string out;
  for (char c : value.substr(0, kMax)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("-_.:/@+").find(c) != std::string_view::npos;
    out += plain ? c : '?';
  }
  if (value.size() > kMax) out += "...";
  return out;
}

// IDs are 64 hex digits; 12 identify them in a log as `crictl ps` does.
std::string ShortId(std::string_view id) {
  return LogSafe(id.substr(0, 12));
}

const google::protobuf::FieldDescriptor* StringField(const google::protobuf::Message& m,
                                                     const char* name) {
  const auto* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    return nullptr;
  }
  return f;
}

std::string StringOf(const google::protobuf::Message& m, const char* name) {
  const auto* f = StringField(m, name);
  return f ? m.GetReflection()->GetString(m, f) : std::string();
}

const google::protobuf::Message* MessageOf(const google::protobuf::Message& m, const char* name) {
  const auto* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
      !m.GetReflection()->HasField(m, f)) {
    return nullptr;
  }
  return &m.GetReflection()->GetMessage(m, f);
}

class CallPrefixFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (!t_current_call) return;
    std::string prefix = t_current_call->LogPrefix();
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<CallPrefixFlag>();
  }
};

}  // namespace

CallObjects ObjectsOf(const google::protobuf::Message& request) {
  CallObjects o;
  o.pod_id = ShortId(StringOf(request, "pod_sandbox_id"));
  o.container_id = ShortId(StringOf(request, "container_id"));
  o.runtime_handler = LogSafe(StringOf(request, "runtime_handler"));
  if (const auto* image = MessageOf(request, "image")) o.image = LogSafe(StringOf(*image, "image"));
  // RunPodSandbox's config has the pod's metadata; CreateContainer's the
  // container's (and sandbox_config the pod's).
  if (const auto* config = MessageOf(request, "config")) {
    if (const auto* md = MessageOf(*config, "metadata")) {
      const std::string ns = StringOf(*md, "namespace");
      if (StringField(*md, "namespace") != nullptr) {
        o.pod_name = LogSafe(ns) + "/" + LogSafe(StringOf(*md, "name"));
      } else {
        o.container_name = LogSafe(StringOf(*md, "name"));
      }
    }
    if (const auto* image = MessageOf(*config, "image")) {
      o.image = LogSafe(StringOf(*image, "image"));
    }
  }
  if (const auto* pod = MessageOf(request, "sandbox_config")) {
    if (const auto* md = MessageOf(*pod, "metadata")) {
      o.pod_name = LogSafe(StringOf(*md, "namespace")) + "/" + LogSafe(StringOf(*md, "name"));
    }
  }
  return o;
}

CallContext::CallContext(std::string method)
    : request_id_(NewObjectId().substr(0, 8)),
      method_(std::move(method)),
      start_(std::chrono::steady_clock::now()) {
  SetObjects({});
}

double CallContext::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void CallContext::SetObjects(CallObjects o) {
  std::string p = "[req=" + request_id_;
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) p += std::string(" ") + key + "=" + value;
  };
  add("pod", o.pod_id);
  add("pod_name", o.pod_name);
  add("ctr", o.container_id);
  add("ctr_name", o.container_name);
  add("image", o.image);
  p += "] ";
  std::lock_guard lock(mu_);
  objects_ = std::move(o);
  prefix_ = std::move(p);
}

CallObjects CallContext::objects() const {
  std::lock_guard lock(mu_);
  return objects_;
}

void CallContext::SetRuntimeHandler(std::string handler) {
  std::lock_guard lock(mu_);
  objects_.runtime_handler = LogSafe(handler);
}

std::string CallContext::runtime_handler() const {
  std::lock_guard lock(mu_);
  return objects_.runtime_handler;
}

std::string CallContext::LogPrefix() const {
  std::lock_guard lock(mu_);
  return prefix_;
}

void CallContext::SetStep(std::string_view step) {
  std::lock_guard lock(mu_);
  step_ = step;
}

std::string CallContext::step() const {
  std::lock_guard lock(mu_);
  return step_;
}

void CallContext::WatchClient(CancelToken client) {
  const std::optional<CancelToken::Clock::time_point> deadline = client.deadline();
  {
    std::lock_guard lock(client_watch_->mu);
    client_watch_->client = std::move(client);
  }
  // The probe holds the watch, not the call: a token may outlive both.
  CancelToken token = CancelToken().WithProbe([watch = client_watch_] {
    std::lock_guard lock(watch->mu);
    return watch->client && watch->client->cancelled();
  });
  // The deadline on top (looked at first): a call past it is told
  // DeadlineExceeded, not Cancelled.
  if (deadline) token = token.WithDeadline(*deadline);
  std::lock_guard lock(mu_);
  cancel_ = std::move(token);
}

void CallContext::StopWatchingClient() {
  std::lock_guard lock(client_watch_->mu);
  client_watch_->client.reset();
}

CancelToken CallContext::cancel() const {
  std::lock_guard lock(mu_);
  return cancel_;
}

std::shared_ptr<CallContext> CurrentCall() {
  return t_current_call;
}

CallScope::CallScope(std::shared_ptr<CallContext> call)
    : previous_(std::move(t_current_call)), cancel_(call ? call->cancel() : CancelToken()) {
  t_current_call = std::move(call);
}

CallScope::~CallScope() {
  t_current_call = std::move(previous_);
}

void CallStep(std::string_view step) {
  if (t_current_call) t_current_call->SetStep(step);
}

std::unique_ptr<spdlog::formatter> CallAwareFormatter(const std::string& pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<CallPrefixFlag>('*').set_pattern(pattern);
  return formatter;
}

}  // namespace berth::daemon
