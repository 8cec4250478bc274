#include "pkg/base/random_bytes.h"

#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// Fault injection: this binary's getrandom takes precedence over libc's, so
// the test can make the kernel's answers short or interrupted, which a real
// kernel does only under signals or at its per-call cap.
struct GetrandomFault {
  bool active = false;
  int eintr_first = 0;        // fail this many calls with EINTR first
  std::size_t max_bytes = 0;  // then answer at most this many bytes a call
  int err = 0;                // or fail every call with this errno
  int calls = 0;
};
GetrandomFault g_fault;

}  // namespace

extern "C" ssize_t getrandom(void* buf, size_t len, unsigned int flags) {
  if (!g_fault.active) return ::syscall(SYS_getrandom, buf, len, flags);
  ++g_fault.calls;
  if (g_fault.err != 0) {
    errno = g_fault.err;
    return -1;
  }
  if (g_fault.eintr_first > 0) {
    --g_fault.eintr_first;
    errno = EINTR;
    return -1;
  }
  const std::size_t n = std::min(len, g_fault.max_bytes);
  std::memset(buf, 0xab, n);
  return static_cast<ssize_t>(n);
}

namespace berth {
namespace {

class FillRandomBytesTest : public ::testing::Test {
 protected:
  void TearDown() override { g_fault = {}; }
};

TEST_F(FillRandomBytesTest, KeepsAskingAfterShortAnswersAndInterruptions) {
  g_fault = {.active = true, .eintr_first = 2, .max_bytes = 7};
  std::vector<std::uint8_t> buf(100, 0);
  ASSERT_TRUE(FillRandomBytes(buf).ok());
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0xab; }));
  EXPECT_EQ(g_fault.calls, 2 + 15);  // two EINTRs, then ceil(100 / 7) answers
}

TEST_F(FillRandomBytesTest, AKernelRefusalIsAnErrorNamingGetrandom) {
  g_fault = {.active = true, .err = ENOSYS};
  std::uint8_t buf[16];
  Status s = FillRandomBytes(buf);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("getrandom"), std::string::npos) << s.message();
}

TEST_F(FillRandomBytesTest, TwoRealFillsDiffer) {
  std::uint8_t a[32] = {}, b[32] = {};
  ASSERT_TRUE(FillRandomBytes(a).ok());
  ASSERT_TRUE(FillRandomBytes(b).ok());
  // Equal 32-byte draws from the kernel's CSPRNG have probability 2^-256.
  EXPECT_FALSE(std::equal(std::begin(a), std::end(a), std::begin(b)));
}

TEST_F(FillRandomBytesTest, EmptySpanIsFine) {
  EXPECT_TRUE(FillRandomBytes({}).ok());
}

}  // namespace
}  // namespace berth
