#include "pkg/base/status.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

Result<int> Half(int n) {
  if (n % 2) return InvalidArgument("odd number " + std::to_string(n));
  return n / 2;
}

Result<int> Quarter(int n) {
  BERTH_ASSIGN_OR_RETURN(int half, Half(n));
  return Half(half);
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFound("no such pod").WithContext("RemovePodSandbox abc");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "RemovePodSandbox abc: no such pod");
  EXPECT_EQ(s.ToString(), "NotFound: RemovePodSandbox abc: no such pod");
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd number 3");
}

TEST(StatusTest, ErrnoErrorNamesTheCause) {
  Status s = ErrnoError("open /x", ENOENT);
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
}

}  // namespace
}  // namespace berth
