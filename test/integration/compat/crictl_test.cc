// Upstream crictl (../shared/tools/crictl) against berthd: if crictl and berth
// disagree about the API, berth is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class CrictlCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_EQ(access(CrictlPath().c_str(), X_OK), 0) << "crictl not found at " << CrictlPath();
  }
};

TEST_F(CrictlCompatTest, VersionShowsBerth) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  ProcessResult r = RunCrictl(d, {"version"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("RuntimeName:  berth"));
  EXPECT_THAT(r.output, HasSubstr("RuntimeApiVersion:  v1"));
}

TEST_F(CrictlCompatTest, InfoShowsConditionsAndConfig) {
  BerthdProcess d;
  ASSERT_NO_FATAL_FAILURE(d.Start());
  ProcessResult r = RunCrictl(d, {"info", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  bool saw_runtime = false, saw_network = false;
  for (const auto& c : j["status"]["conditions"]) {
    if (c["type"] == "RuntimeReady") saw_runtime = c["status"].get<bool>();
    if (c["type"] == "NetworkReady") saw_network = true;
  }
  EXPECT_TRUE(saw_runtime) << r.output;
  EXPECT_TRUE(saw_network) << r.output;
  // crictl parses each info value as JSON and nests it.
  EXPECT_EQ(j["config"]["listen"], d.socket_path()) << r.output;
}

}  // namespace
}  // namespace berth::testing
