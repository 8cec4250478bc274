// Issue 15 item 9: a container's annotations once reached the runtime
// unfiltered. Now its io.berth.* keys reach config.json (what runc reads)
// only where the pod's runtime's allowed_annotations lists them, as the
// pod's own do; berth's internal prefix is refused outright. The CRI view
// (ContainerStatus) still holds every annotation the kubelet gave.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test/integration/images/image_env.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class ContainerAnnotationFilterTest : public RestoreFixture {};

TEST_F(ContainerAnnotationFilterTest, OnlyAllowedBerthAnnotationsReachTheRuntimeSpec) {
  const std::string runtimes = std::string("runtimes: {runc: {path: ") + kRunc +
                               ", root: " + RuncRoot() +
                               ", type: oci, allowed_annotations: [\"io.berth.allowed.*\"]}}\n";
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon("", runtimes));
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string pod = RunPodOk("annotated", true);
  rt::ContainerConfig c = TermExiting("annotated");
  auto& a = *c.mutable_annotations();
  a["io.berth.allowed.flag"] = "on";
  a["io.berth.not-allowed"] = "x";
  a["io.berth.trusted-sandbox"] = "false";
  a["example.com/plain"] = "y";
  const std::string id = CreateOk(pod, c);
  ASSERT_FALSE(id.empty());

  auto spec = nlohmann::json::parse(Slurp(ContainerBundle(id) + "/config.json"));
  const auto& in_spec = spec["annotations"];
  EXPECT_EQ(in_spec.value("io.berth.allowed.flag", ""), "on");
  EXPECT_FALSE(in_spec.contains("io.berth.not-allowed"));
  EXPECT_EQ(in_spec.value("example.com/plain", ""), "y");
  // The trust annotation is the routing's own: it passes, as for pods.
  EXPECT_EQ(in_spec.value("io.berth.trusted-sandbox", ""), "false");
  EXPECT_THAT(d_->Log(), HasSubstr("annotation io.berth.not-allowed ignored: runtime runc"));

  rt::ContainerStatusResponse status;
  ASSERT_TRUE(ContainerStatus(id, &status).ok());
  EXPECT_EQ(status.status().annotations().at("io.berth.not-allowed"), "x");
  EXPECT_EQ(status.status().annotations().at("io.berth.allowed.flag"), "on");

  // berth's internal keys are refused, naming the key; nothing is made.
  rt::ContainerConfig forged = TermExiting("forged");
  (*forged.mutable_annotations())["io.berth.internal.log-path"] = "/etc/passwd";
  std::string forged_id;
  grpc::Status s = Create(pod, forged, &forged_id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("io.berth.internal.log-path"));
  EXPECT_EQ(ListContainers().size(), 1u);

  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
