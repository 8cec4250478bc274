// CallContext: the objects a request names reach the log prefix, made safe;
// the prefix is on every line written while the call is installed, and only
// then.
#include "daemon/call_context.h"

#include <gtest/gtest.h>
#include <spdlog/details/os.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "runtime/v1/api.pb.h"

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;

TEST(CallObjectsTest, ReadsIdsOfAnyRequest) {
  rt::StopContainerRequest stop;
  stop.set_container_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  CallObjects o = ObjectsOf(stop);
  EXPECT_EQ(o.container_id, "0123456789ab") << "IDs are shortened as crictl shows them";
  EXPECT_EQ(o.pod_id, "");

  rt::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("web");
  run.mutable_config()->mutable_metadata()->set_namespace_("default");
  run.set_runtime_handler("kata");
  o = ObjectsOf(run);
  EXPECT_EQ(o.pod_name, "default/web");
  EXPECT_EQ(o.runtime_handler, "kata");

  rt::CreateContainerRequest create;
  create.set_pod_sandbox_id("feedbeef");
  create.mutable_config()->mutable_metadata()->set_name("app");
  create.mutable_config()->mutable_image()->set_image("busybox:1.36");
  create.mutable_sandbox_config()->mutable_metadata()->set_name("web");
  create.mutable_sandbox_config()->mutable_metadata()->set_namespace_("default");
  o = ObjectsOf(create);
  EXPECT_EQ(o.pod_id, "feedbeef");
  EXPECT_EQ(o.container_name, "app");
  EXPECT_EQ(o.pod_name, "default/web");
  EXPECT_EQ(o.image, "busybox:1.36");

  rt::PullImageRequest pull;
  pull.mutable_image()->set_image("127.0.0.1:5000/library/busybox@sha256:abc");
  EXPECT_EQ(ObjectsOf(pull).image, "127.0.0.1:5000/library/busybox@sha256:abc");
}

TEST(CallObjectsTest, HostileFieldsCannotForgeLogLines) {
  rt::PullImageRequest pull;
  pull.mutable_image()->set_image("evil\n2026-01-01 error fake line\x1b[31m");
  const std::string image = ObjectsOf(pull).image;
  EXPECT_EQ(image.find('\n'), std::string::npos);
  EXPECT_EQ(image.find('\x1b'), std::string::npos);
  EXPECT_EQ(image.find(' '), std::string::npos);
  pull.mutable_image()->set_image(std::string(10000, 'a'));
  EXPECT_LT(ObjectsOf(pull).image.size(), 300u);
}

TEST(CallContextTest, PrefixNamesRequestAndObjects) {
  auto call = std::make_shared<CallContext>("RuntimeService.StopContainer");
  EXPECT_EQ(call->request_id().size(), 8u);
  EXPECT_NE(call->request_id(), CallContext("x").request_id());
  CallObjects o;
  o.pod_id = "aaaa";
  o.container_id = "bbbb";
  call->SetObjects(o);
  EXPECT_EQ(call->LogPrefix(), "[req=" + call->request_id() + " pod=aaaa ctr=bbbb] ");
}

TEST(CallContextTest, LogLinesCarryThePrefixOnlyInsideTheCall) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "call-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_formatter(CallAwareFormatter("%*%v"));

  auto call = std::make_shared<CallContext>("RuntimeService.RunPodSandbox");
  CallObjects o;
  o.pod_name = "default/web";
  call->SetObjects(o);
  logger->info("before");
  {
    CallScope scope(call);
    EXPECT_EQ(CurrentCall(), call);
    logger->info("inside");
    CallStep("2 pin namespaces");
    EXPECT_EQ(call->step(), "2 pin namespaces");
  }
  logger->info("after");
  EXPECT_EQ(CurrentCall(), nullptr);
  CallStep("outside a call: ignored");
  // spdlog ends lines the platform's way ("\r\n" on Windows).
  const std::string eol = spdlog::details::os::default_eol;
  EXPECT_EQ(out.str(), "before" + eol + "[req=" + call->request_id() +
                           " pod_name=default/web] inside" + eol + "after" + eol);
}

TEST(CallContextTest, TheCallsCancellationIsTheThreadsWhileItIsInstalled) {
  auto call = std::make_shared<CallContext>("RuntimeService.RunPodSandbox");
  CancelSource client;
  call->WatchClient(client.token());
  {
    CallScope scope(call);
    EXPECT_FALSE(CurrentCancelToken().cancelled());
    client.Cancel();
    EXPECT_EQ(CurrentCancelToken().Check("run").code(), Code::kCancelled);
  }
  EXPECT_FALSE(CurrentCancelToken().cancelled()) << "outside the call nothing is cancelled";
}

TEST(CallContextTest, TheClientIsNotAskedOnceTheCallHasAnswered) {
  auto call = std::make_shared<CallContext>("RuntimeService.ExecSync");
  CancelSource client;
  call->WatchClient(client.token());
  const CancelToken kept = call->cancel();  // e.g. held by work that outlives the call
  call->StopWatchingClient();
  client.Cancel();
  EXPECT_FALSE(kept.cancelled());
}

TEST(CallContextTest, APassedDeadlineIsDeadlineExceededNotCancelled) {
  auto call = std::make_shared<CallContext>("RuntimeService.ExecSync");
  CancelSource client;
  // As CancelTokenOf makes it: gRPC also reports a passed deadline as cancelled.
  client.Cancel();
  call->WatchClient(client.token().WithDeadline(CancelToken::Clock::now()));
  EXPECT_EQ(call->cancel().Check("exec").code(), Code::kDeadlineExceeded);
  call->StopWatchingClient();
  EXPECT_EQ(call->cancel().Check("exec").code(), Code::kDeadlineExceeded)
      << "the deadline still counts after the answer";
}

}  // namespace
}  // namespace berth::daemon
