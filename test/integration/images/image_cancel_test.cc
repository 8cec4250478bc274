// PullImage cancelled by its client (issue 14 item 5): the call answers at
// once, the download stops when no caller waits for it any more, its partial
// blobs and layers are removed, and the single flight is free for the next
// pull. A joiner that cancels leaves the other caller's pull running.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"
#include "test/integration/images/image_rpc.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

constexpr char kBigImage[] = "gcr.io/berth-test/big:latest";  // ~100 MB, through the proxy
// How soon berthd must answer a cancelled call (a waiting caller polls every 20 ms).
constexpr auto kPromptly = std::chrono::seconds(3);

// Polls `done` (state on disk has no event to wait on) until it holds or
// `limit` passes; false on timeout.
bool Eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// One PullImage on its own thread, cancellable through its client context.
class PullCall {
 public:
  PullCall(BerthdProcess& d, const std::string& ref) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(3));
    thread_ = std::jthread([this, &d, ref] {
      rt::PullImageRequest req;
      req.mutable_image()->set_image(ref);
      rt::PullImageResponse resp;
      status_ = d.image().PullImage(&ctx_, req, &resp);
      done_ = true;
    });
  }
  void Cancel() { ctx_.TryCancel(); }
  grpc::Status Wait() {
    thread_.join();
    return status_;
  }
  bool done() const { return done_; }

 private:
  grpc::ClientContext ctx_;
  grpc::Status status_;
  std::atomic<bool> done_{false};
  std::jthread thread_;
};

class ImageCancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
    d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml());
    ASSERT_NO_FATAL_FAILURE(d_->Start());
  }
  std::string downloads() const { return d_->dir().Sub("root/image/downloads"); }
  // The event the tests cancel on: part of the big blob is on disk.
  void WaitMidBlob(const PullCall& call) {
    ASSERT_TRUE(Eventually([&] { return call.done() || BytesUnder(downloads()) > 2'000'000; },
                           std::chrono::seconds(60)))
        << "the download never started\n"
        << d_->Log();
    ASSERT_FALSE(call.done()) << "the pull ended before it could be cancelled";
  }

  // berthd's RPC interceptor logs each call's end with the code's name.
  bool HandlerReturnedCancelled() const {
    return d_->Log().find("rpc ImageService.PullImage failed in") != std::string::npos &&
           d_->Log().find(": Canceled: pull " + std::string(kBigImage)) != std::string::npos;
  }

  std::unique_ptr<BerthdProcess> d_;
};

TEST_F(ImageCancelTest, CancelledMidBlobStopsAtOnceLeavesNothingAndFreesTheFlight) {
  {
    // ~50 s for the whole image: the cancel lands mid-blob.
    ImageEnv::ScopedProxyRate slow(2'000'000);
    PullCall pull(*d_, kBigImage);
    ASSERT_NO_FATAL_FAILURE(WaitMidBlob(pull));
    pull.Cancel();
    grpc::Status s = pull.Wait();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
    // The client's own answer is immediate whatever the server does; what
    // counts is that berthd's handler returns too.
    EXPECT_TRUE(Eventually([&] { return HandlerReturnedCancelled(); }, kPromptly))
        << "berthd's PullImage handler kept running after the cancel\n"
        << d_->Log();

    // Nobody waits any more: the download stops and takes its blob with it
    // (the temporary blob file exists until FetchBlob returns), and layers
    // unpacked so far go too.
    EXPECT_TRUE(Eventually([&] { return LeftoverTempFiles(*d_).empty() && LayerDirs(*d_).empty(); },
                           std::chrono::seconds(10)))
        << "left: " << ::testing::PrintToString(LeftoverTempFiles(*d_)) << " layers "
        << ::testing::PrintToString(LayerDirs(*d_)) << "\n"
        << d_->Log();
    EXPECT_THAT(d_->Log(), HasSubstr("every caller left; cancelling the download"));
    EXPECT_TRUE(ListImages(*d_).empty());
  }
  // The flight is gone: a new pull starts afresh and completes.
  std::string id;
  grpc::Status again = PullImage(*d_, kBigImage, nullptr, &id);
  ASSERT_TRUE(again.ok()) << again.error_message() << "\n" << d_->Log();
  EXPECT_EQ(ListImages(*d_).size(), 1u);
  EXPECT_THAT(LeftoverTempFiles(*d_), IsEmpty());
}

TEST_F(ImageCancelTest, JoinerThatCancelsLeavesTheOtherCallersPullRunning) {
  ImageEnv::ScopedProxyRate slow(10'000'000);  // ~10 s for the whole image
  PullCall first(*d_, kBigImage);
  ASSERT_NO_FATAL_FAILURE(WaitMidBlob(first));
  PullCall joiner(*d_, kBigImage);
  ASSERT_TRUE(
      Eventually([&] { return d_->Log().find("joining the pull in flight") != std::string::npos; },
                 std::chrono::seconds(10)))
      << "the second pull did not join\n"
      << d_->Log();

  // The first caller gives up; the joiner still wants the image.
  first.Cancel();
  grpc::Status cancelled = first.Wait();
  EXPECT_EQ(cancelled.error_code(), grpc::StatusCode::CANCELLED) << cancelled.error_message();
  EXPECT_TRUE(Eventually([&] { return HandlerReturnedCancelled(); }, kPromptly))
      << "berthd's PullImage handler kept running after the cancel\n"
      << d_->Log();
  EXPECT_FALSE(joiner.done()) << "the joiner's pull ended with the first caller's cancel";

  grpc::Status joined = joiner.Wait();
  ASSERT_TRUE(joined.ok()) << joined.error_message() << "\n" << d_->Log();
  EXPECT_EQ(ListImages(*d_).size(), 1u);
  EXPECT_THAT(LeftoverTempFiles(*d_), IsEmpty());
  EXPECT_THAT(d_->Log(), ::testing::Not(HasSubstr("every caller left")));
}

}  // namespace
}  // namespace berth::testing
