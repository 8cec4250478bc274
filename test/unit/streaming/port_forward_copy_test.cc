// ForwardConnection on its own: a socketpair stands for the pod's connection
// and an in-memory channel for the client's, so the linger can be short and
// each end of stream can be placed exactly.
#include "pkg/streaming/port_forward_copy.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "pkg/streaming/socket.h"
#include "test/unit/streaming/socket_pair.h"

namespace berth::streaming {
namespace {

using namespace std::chrono_literals;

// The client's direction: bytes the test puts in, then its end of stream.
class FakeClientInput final : public ByteReader {
 public:
  void Put(std::string data) {
    std::lock_guard l(mu_);
    chunks_.push_back(std::move(data));
    changed_.notify_all();
  }
  void End() {
    std::lock_guard l(mu_);
    ended_ = true;
    changed_.notify_all();
  }
  Result<size_t> Read(char* buf, size_t len) override {
    std::unique_lock l(mu_);
    changed_.wait(l, [&] { return cancelled_ || ended_ || !chunks_.empty(); });
    if (cancelled_) return Cancelled("cancelled");
    if (chunks_.empty()) return size_t{0};
    std::string chunk = std::move(chunks_.front());
    chunks_.pop_front();
    if (chunk.size() > len) {
      chunks_.push_front(chunk.substr(len));
      chunk.resize(len);
    }
    std::copy(chunk.begin(), chunk.end(), buf);
    return chunk.size();
  }
  void Cancel() override {
    std::lock_guard l(mu_);
    cancelled_ = true;
    changed_.notify_all();
  }
  bool cancelled() {
    std::lock_guard l(mu_);
    return cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  bool ended_ = false, cancelled_ = false;
};

// What reached the client, and whether its channel was ended.
struct ClientOutput {
  std::mutex mu;
  std::condition_variable changed;
  std::string got;
  bool ended = false;
};

struct Rig {
  Rig() {
    EXPECT_TRUE(testing::MakeSocketPair(ours, pod).ok());
    // A pod read that never ends fails the test instead of hanging it.
    EXPECT_TRUE(testing::SetReceiveTimeout(pod.get(), std::chrono::seconds(20)).ok());
  }
  // Runs ForwardConnection on a thread of its own.
  std::future<ForwardEnd> Start(std::chrono::milliseconds linger) {
    return std::async(std::launch::async, [this, linger] {
      return ForwardConnection(
          ours.get(), input,
          [this](std::string_view d) {
            std::lock_guard l(out.mu);
            out.got.append(d);
            return OkStatus();
          },
          [this] {
            std::lock_guard l(out.mu);
            out.ended = true;
            out.changed.notify_all();
          },
          linger);
    });
  }
  std::string PodReadsToEnd() {
    std::string got;
    char buf[4096];
    while (true) {
      long n = ReceiveSome(pod.get(), buf, sizeof buf);
      if (n < 0) {
        ADD_FAILURE() << "the pod's socket never ended";
        return got;
      }
      if (n == 0) return got;
      got.append(buf, static_cast<size_t>(n));
    }
  }

  OwnedSocket ours, pod;
  FakeClientInput input;
  ClientOutput out;
};

TEST(ForwardConnectionTest, PodClosingEndsTheConnectionAfterTheLingerWithoutTheClientsEnd) {
  Rig rig;
  std::future<ForwardEnd> done = rig.Start(100ms);
  ASSERT_TRUE(SendAll(rig.pod.get(), "hello", 5));
  rig.pod.reset();  // the pod closes; the client never ends its side
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready) << "still copying";
  EXPECT_FALSE(done.get().client_finished);
  EXPECT_TRUE(rig.input.cancelled());
  std::lock_guard l(rig.out.mu);
  EXPECT_EQ(rig.out.got, "hello");
  EXPECT_TRUE(rig.out.ended);
}

TEST(ForwardConnectionTest, ClientEndingFirstLeavesThePodAllTheTimeItTakesToAnswer) {
  Rig rig;
  std::future<ForwardEnd> done = rig.Start(50ms);
  rig.input.Put("request");
  rig.input.End();
  EXPECT_EQ(rig.PodReadsToEnd(), "request");  // the client's end arrives as EOF
  // A slow answer: many lingers pass between the client's end and the
  // pod's reply (the wait is the scenario, not a synchronisation).
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(done.wait_for(0s), std::future_status::timeout) << "ended before the pod answered";
  ASSERT_TRUE(SendAll(rig.pod.get(), "answer", 6));
  rig.pod.reset();
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(done.get().client_finished);
  EXPECT_FALSE(rig.input.cancelled());
  std::lock_guard l(rig.out.mu);
  EXPECT_EQ(rig.out.got, "answer");
  EXPECT_TRUE(rig.out.ended);
}

TEST(ForwardConnectionTest, AClientStillSendingAfterThePodsEndIsNotCutOff) {
  Rig rig;
  std::future<ForwardEnd> done = rig.Start(300ms);
  ShutdownSocket(rig.pod.get(), ShutdownHow::kWrite);  // the pod ends its side, still reads
  {
    std::unique_lock l(rig.out.mu);
    ASSERT_TRUE(rig.out.changed.wait_for(l, 20s, [&] { return rig.out.ended; }))
        << "the pod's end never reached the client";
  }
  // Ten pieces 100 ms apart: a second in all, more than the linger, never
  // quiet for as long as it.
  std::string sent;
  for (int i = 0; i < 10; ++i) {
    std::string piece = "piece" + std::to_string(i) + ";";
    rig.input.Put(piece);
    sent += piece;
    std::this_thread::sleep_for(100ms);
  }
  rig.input.End();
  EXPECT_EQ(rig.PodReadsToEnd(), sent);
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(done.get().client_finished);
}

TEST(ForwardConnectionTest, BothEndsPassedOnEndImmediately) {
  Rig rig;
  std::future<ForwardEnd> done = rig.Start(std::chrono::hours(1));
  rig.input.Put("ping");
  rig.input.End();
  EXPECT_EQ(rig.PodReadsToEnd(), "ping");
  rig.pod.reset();
  // No linger is waited out: both directions ended by themselves.
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(done.get().client_finished);
}

}  // namespace
}  // namespace berth::streaming
