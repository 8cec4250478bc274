// Upstream crictl's image commands against berthd, pulling through a mirror.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CrictlImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_EQ(access(CrictlPath().c_str(), X_OK), 0) << "crictl not found at " << CrictlPath();
    ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
  }
};

TEST_F(CrictlImagesTest, PullImagesInspectiRmiThroughMirror) {
  BerthdProcess d(ImageEnv::RegistriesYaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = "gcr.io/berth-test/busybox:latest";

  ProcessResult pull = RunCrictl(d, {"pull", ref});
  ASSERT_EQ(pull.exit_code, 0) << pull.output << "\n" << d.Log();
  EXPECT_THAT(pull.output, HasSubstr("sha256:"));

  ProcessResult images = RunCrictl(d, {"images"});
  ASSERT_EQ(images.exit_code, 0) << images.output;
  EXPECT_THAT(images.output, HasSubstr("gcr.io/berth-test/busybox"));
  EXPECT_THAT(images.output, HasSubstr("latest"));

  ProcessResult inspect = RunCrictl(d, {"inspecti", "-o", "json", ref});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  auto j = nlohmann::json::parse(inspect.output);
  EXPECT_THAT(j["status"]["id"].get<std::string>(), ::testing::StartsWith("sha256:"));
  EXPECT_EQ(j["status"]["repoTags"][0], ref);
  EXPECT_EQ(j["status"]["repoDigests"][0],
            "gcr.io/berth-test/busybox@" + ImageEnv::Get("IMAGE_BUSYBOX_DIGEST"));
  // crictl parses the verbose "info" value (JSON) and shows it as "info".
  EXPECT_EQ(j["info"]["imageSpec"]["config"]["Cmd"][0], "/bin/sh") << inspect.output;

  ProcessResult fsinfo = RunCrictl(d, {"imagefsinfo", "-o", "json"});
  ASSERT_EQ(fsinfo.exit_code, 0) << fsinfo.output;
  EXPECT_THAT(fsinfo.output, HasSubstr("mountpoint"));

  ProcessResult rmi = RunCrictl(d, {"rmi", ref});
  ASSERT_EQ(rmi.exit_code, 0) << rmi.output;
  ProcessResult after = RunCrictl(d, {"images", "-q"});
  ASSERT_EQ(after.exit_code, 0) << after.output;
  EXPECT_THAT(after.output, Not(HasSubstr("sha256:")));
}

}  // namespace
}  // namespace berth::testing
