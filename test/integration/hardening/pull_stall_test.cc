// Issue 15 item 5 through a real berthd: a registry that accepts connections
// and never answers once held a pull forever, and every later pull of the
// image joined the stuck single flight. Now the progress timeout cancels the
// ping and manifest requests too: each pull ends with DeadlineExceeded naming
// image_pull_progress_timeout, and a later pull starts afresh.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// A TCP listener on 127.0.0.1 that never accepts: the kernel completes each
// handshake into the backlog, the client sends its request, and no byte ever
// comes back. Closing it at the end resets those connections.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class PullStallTest : public RestoreFixture {
 protected:
  grpc::Status Pull(const std::string& ref) {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    rt::PullImageResponse resp;
    return d_->image().PullImage(Ctx(std::chrono::seconds(60)).get(), req, &resp);
  }
};

TEST_F(PullStallTest, SilentRegistryPullTimesOutAndFreesItsSingleFlight) {
  SilentListener silent;
  ASSERT_NE(silent.port(), 0) << "no listener";
  ASSERT_NO_FATAL_FAILURE(
      StartRestoreDaemon("", RuncOnlyYaml() + "image_pull_progress_timeout: 2s\n"));
  const std::string ref = "127.0.0.1:" + std::to_string(silent.port()) + "/silent/image:latest";

  // Two pulls at once share one flight; both end with the timeout.
  const auto started = Clock::now();
  auto first = std::async(std::launch::async, [&] { return Pull(ref); });
  auto second = std::async(std::launch::async, [&] { return Pull(ref); });
  for (auto* f : {&first, &second}) {
    grpc::Status s = f->get();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("image_pull_progress_timeout"));
  }
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(20)) << "the pull outlived its timeout";

  // The flight is gone: a later pull is a new attempt, timed out on its own.
  const auto again = Clock::now();
  grpc::Status s = Pull(ref);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_LT(Clock::now() - again, std::chrono::seconds(20));
  EXPECT_GE(Clock::now() - again, std::chrono::seconds(2)) << "it joined a finished flight";

  // berthd serves on, and the downloads directory holds nothing.
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
