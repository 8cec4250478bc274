// berthd killed with SIGKILL in the middle of a pull, then restarted on the
// same root: nothing half-registered, no download or temporary layer left,
// no orphaned layer, and the same pull then succeeds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"
#include "test/integration/images/image_rpc.h"

namespace berth::testing {
namespace {

using ::testing::IsEmpty;

TEST(ImageCrashTest, KilledMidPullLeavesNothingAndThePullSucceedsAfterRestart) {
  RequireRoot();
  ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
  BerthdProcess d(ImageEnv::RegistriesYaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = "gcr.io/berth-test/big:latest";  // served by the proxy (mirror)

  // 1. Pull the ~100 MB image at 5 MB/s (20 s), in the background: it is
  //    expected to fail when berthd dies.
  ImageEnv::ScopedProxyRate slow(5'000'000);
  grpc::Status pull_status;
  std::jthread puller([&] { pull_status = PullImage(d, ref); });

  // 2. The event: the small busybox layer is unpacked into the layer store
  //    (a layer no image holds yet) and a few MB of the big blob are on disk.
  const std::string downloads = d.dir().Sub("root/image/downloads");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (LayerDirs(d).empty() || BytesUnder(downloads) < 4'000'000) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "pull never got mid-way: layers " << LayerDirs(d).size() << ", downloaded "
        << BytesUnder(downloads) << " bytes\n"
        << d.Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling disk, with a deadline
  }
  const uint64_t partial = BytesUnder(downloads);
  EXPECT_LT(partial, 100'000'000u) << "the download finished before the kill";
  EXPECT_EQ(d.StopWith(SIGKILL), -1);
  puller.join();
  EXPECT_FALSE(pull_status.ok());
  ASSERT_FALSE(LayerDirs(d).empty());  // the orphan start-up must remove
  ASSERT_GT(BytesUnder(downloads), 0u);

  // 3. Restart on the same root: the orphans are gone, nothing is registered.
  ASSERT_NO_FATAL_FAILURE(d.Start());
  EXPECT_TRUE(ListImages(d).empty());
  EXPECT_FALSE(ImageStatus(d, ref).has_image());
  EXPECT_THAT(LayerDirs(d), IsEmpty());
  EXPECT_THAT(LeftoverTempFiles(d), IsEmpty());

  // 4. The same pull, at full speed now, succeeds.
  ImageEnv::SetProxyRate(0);
  std::string id;
  grpc::Status s = PullImage(d, ref, nullptr, &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  runtime::v1::ImageStatusResponse st = ImageStatus(d, ref);
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), id);
  EXPECT_GT(st.image().size(), 100'000'000u);
  EXPECT_EQ(LayerDirs(d).size(), 2u);
  EXPECT_THAT(LeftoverTempFiles(d), IsEmpty());
}

}  // namespace
}  // namespace berth::testing
