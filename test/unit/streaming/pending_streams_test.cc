// PendingStreams: which stream types a session expects, and the wait for the
// session's end that the SPDY exec/attach server lingers and watches with.
#include "pkg/streaming/pending_streams.h"

#include <gtest/gtest.h>

#include <thread>

namespace berth::streaming {
namespace {

using std::chrono::steady_clock;

// The client has a minute to open its streams: no test here waits for it.
PendingStreams ExecStreams() {
  return PendingStreams({"error", "stdout"}, steady_clock::now() + std::chrono::minutes(1));
}

TEST(PendingStreamsTest, ExpectsOnlyTheTypesItWasGiven) {
  PendingStreams streams = ExecStreams();
  EXPECT_TRUE(streams.Expects("error"));
  EXPECT_TRUE(streams.Expects("stdout"));
  EXPECT_FALSE(streams.Expects("stdin"));
  EXPECT_FALSE(streams.Expects("resize"));
  EXPECT_FALSE(streams.Expects(""));
}

TEST(PendingStreamsTest, ExpectsStaysTrueOnceTheStreamIsOpen) {
  PendingStreams streams = ExecStreams();
  ASSERT_TRUE(streams.Add("stdout", nullptr));
  EXPECT_TRUE(streams.Expects("stdout"));
}

TEST(PendingStreamsTest, AddRefusesAnUnexpectedTypeAndASecondStreamOfAType) {
  PendingStreams streams = ExecStreams();
  EXPECT_FALSE(streams.Add("stdin", nullptr));
  EXPECT_TRUE(streams.Add("error", nullptr));
  EXPECT_FALSE(streams.Add("error", nullptr));
  EXPECT_EQ(streams.opened(), 1u);
}

TEST(PendingStreamsTest, AwaitEndReturnsFalseWhenTheTimeRunsOutFirst) {
  PendingStreams streams = ExecStreams();
  EXPECT_FALSE(streams.AwaitEnd(steady_clock::duration::zero()));
  EXPECT_FALSE(streams.AwaitEnd(std::chrono::milliseconds(20)));
}

TEST(PendingStreamsTest, AwaitEndReturnsTrueAtOnceWhenTheSessionIsAlreadyOver) {
  PendingStreams streams = ExecStreams();
  streams.End();
  EXPECT_TRUE(streams.AwaitEnd(steady_clock::duration::zero()));
}

// The linger wait: End() from the session's thread wakes it long before its
// timeout (were it not woken it would return false after the full minute).
TEST(PendingStreamsTest, AwaitEndWakesWhenTheSessionEnds) {
  PendingStreams streams = ExecStreams();
  std::thread session([&] { streams.End(); });
  EXPECT_TRUE(streams.AwaitEnd(std::chrono::minutes(1)));
  session.join();
}

// The creation watch: AwaitAll gives up when the session ended, and
// AwaitEnd then tells that apart from a client that was too slow.
TEST(PendingStreamsTest, AwaitAllGivesUpWhenTheSessionEnds) {
  PendingStreams streams = ExecStreams();
  ASSERT_TRUE(streams.Add("error", nullptr));
  std::thread session([&] { streams.End(); });
  EXPECT_FALSE(streams.AwaitAll());
  EXPECT_TRUE(streams.AwaitEnd(steady_clock::duration::zero()));
  session.join();
}

TEST(PendingStreamsTest, AwaitAllGivesUpAtTheDeadlineWithTheSessionStillOn) {
  PendingStreams streams({"error", "stdout"}, steady_clock::now() + std::chrono::milliseconds(20));
  ASSERT_TRUE(streams.Add("error", nullptr));
  EXPECT_FALSE(streams.AwaitAll());
  EXPECT_FALSE(streams.AwaitEnd(steady_clock::duration::zero()));
}

}  // namespace
}  // namespace berth::streaming
