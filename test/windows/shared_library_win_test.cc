// pkg/dynlib's loader on Windows (LoadLibraryEx, GetProcAddress): the same
// promises as test/unit/dynlib's dlopen tests, with Windows' own libraries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "pkg/dynlib/shared_library.h"

namespace berth::dynlib {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SharedLibraryWinTest, MissingLibraryIsFailedPreconditionNamingItAndTheCause) {
  Result<SharedLibrary> lib = SharedLibrary::Open("berth-no-such-library.dll");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), Code::kFailedPrecondition);
  // ERROR_MOD_NOT_FOUND
  EXPECT_THAT(lib.status().message(),
              AllOf(HasSubstr("berth-no-such-library.dll"), HasSubstr("(error 126)")));
}

TEST(SharedLibraryWinTest, MissingFunctionIsFailedPreconditionNamingLibraryAndFunction) {
  Result<SharedLibrary> ntdll = SharedLibrary::Open("ntdll.dll");
  ASSERT_TRUE(ntdll.ok()) << ntdll.status().message();
  void (*fn)() = nullptr;
  Status s = ntdll->Resolve("berth_no_such_function", &fn);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  // ERROR_PROC_NOT_FOUND
  EXPECT_THAT(s.message(), AllOf(HasSubstr("ntdll.dll"), HasSubstr("berth_no_such_function"),
                                 HasSubstr("(error 127)")));
  EXPECT_EQ(fn, nullptr);
}

TEST(SharedLibraryWinTest, ResolvedFunctionIsTheLibrarysOwn) {
  Result<SharedLibrary> ntdll = SharedLibrary::Open("ntdll.dll");
  ASSERT_TRUE(ntdll.ok()) << ntdll.status().message();
  decltype(&::strlen) fn = nullptr;
  ASSERT_TRUE(ntdll->Resolve("strlen", &fn).ok());
  EXPECT_EQ(fn("berth"), 5u);
}

}  // namespace
}  // namespace berth::dynlib
