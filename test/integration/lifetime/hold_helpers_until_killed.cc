// Not a test of its own: the test binary helpers_die_with_test_binary_test
// starts and then kills. Linking image_env starts the registries, their token
// server and the counting proxy (a global environment); the one case here
// starts a berthd on them, writes "ready" to descriptor 3 and waits to be
// killed.
#include <gtest/gtest.h>
#include <unistd.h>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {
namespace {

constexpr int kReportFd = 3;

TEST(HoldHelpers, UntilKilled) {
  ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registries did not start";
  BerthdProcess berthd(ImageEnv::RegistriesYaml());
  ASSERT_NO_FATAL_FAILURE(berthd.Start());
  constexpr char kReady[] = "ready\n";
  ASSERT_EQ(write(kReportFd, kReady, sizeof kReady - 1), static_cast<ssize_t>(sizeof kReady - 1));
  for (;;) pause();  // until the SIGKILL
}

}  // namespace
}  // namespace berth::testing
