#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstring>
#include <string>

#include "pkg/dynlib/archive_library.h"
#include "pkg/dynlib/curl_library.h"
#include "pkg/dynlib/lazy_table.h"
#include "pkg/dynlib/shared_library.h"

namespace berth::dynlib {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Whether `soname` is loaded in this process (RTLD_NOLOAD opens nothing new).
bool Loaded(const char* soname) {
  void* handle = ::dlopen(soname, RTLD_NOLOAD | RTLD_LAZY);
  if (handle != nullptr) ::dlclose(handle);  // drops the reference the check took
  return handle != nullptr;
}

TEST(SharedLibraryTest, MissingLibraryIsFailedPreconditionNamingItAndTheCause) {
  Result<SharedLibrary> lib = SharedLibrary::Open("libberth-no-such-library.so.0");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(lib.status().message(),
              AllOf(HasSubstr("libberth-no-such-library.so.0"), HasSubstr("No such file")));
}

TEST(SharedLibraryTest, MissingFunctionIsFailedPreconditionNamingLibraryAndFunction) {
  Result<SharedLibrary> libc = SharedLibrary::Open("libc.so.6");
  ASSERT_TRUE(libc.ok()) << libc.status().message();
  void (*fn)() = nullptr;
  Status s = libc->Resolve("berth_no_such_function", &fn);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("libc.so.6"), HasSubstr("berth_no_such_function")));
  EXPECT_EQ(fn, nullptr);
}

TEST(SharedLibraryTest, ResolvedFunctionIsTheLibrarysOwn) {
  Result<SharedLibrary> libc = SharedLibrary::Open("libc.so.6");
  ASSERT_TRUE(libc.ok()) << libc.status().message();
  decltype(&::strlen) fn = nullptr;
  ASSERT_TRUE(libc->Resolve("strlen", &fn).ok());
  EXPECT_EQ(fn("berth"), 5u);
}

TEST(LazyTableTest, FailureIsNotKeptAndSuccessIsLoadedOnce) {
  struct Table {
    int value;
  };
  LazyTable<Table> table;
  int loads = 0;
  auto fail = [&]() -> Result<Table> {
    ++loads;
    return FailedPrecondition("not yet");
  };
  auto succeed = [&]() -> Result<Table> {
    ++loads;
    return Table{7};
  };
  Result<const Table*> first = table.Get(fail);
  EXPECT_EQ(first.status().message(), "not yet");
  Result<const Table*> second = table.Get(succeed);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->value, 7);
  Result<const Table*> third = table.Get(succeed);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, *second);
  EXPECT_EQ(loads, 2);
}

// Each case runs in its own process (berth_test), so "not loaded before" holds
// unless something linked the library in.
TEST(CurlLibraryTest, LibcurlIsLoadedOnlyOnFirstUseAndWorks) {
  EXPECT_FALSE(Loaded("libcurl.so.4")) << "libcurl is linked in, not opened on first use";
  Result<const CurlLibrary*> curl = LoadCurl();
  ASSERT_TRUE(curl.ok()) << curl.status().message();
  EXPECT_TRUE(Loaded("libcurl.so.4"));
  CURL* handle = (*curl)->easy_init();
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ((*curl)->easy_setopt(handle, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  (*curl)->easy_cleanup(handle);
  EXPECT_EQ(*LoadCurl(), *curl);
}

TEST(ArchiveLibraryTest, LibarchiveIsLoadedOnlyOnFirstUseAndWorks) {
  EXPECT_FALSE(Loaded("libarchive.so.13")) << "libarchive is linked in, not opened on first use";
  Result<const ArchiveLibrary*> archive = LoadArchive();
  ASSERT_TRUE(archive.ok()) << archive.status().message();
  EXPECT_TRUE(Loaded("libarchive.so.13"));
  ::archive* reader = (*archive)->read_new();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ((*archive)->read_support_format_tar(reader), ARCHIVE_OK);
  EXPECT_EQ((*archive)->read_free(reader), ARCHIVE_OK);
  EXPECT_EQ(*LoadArchive(), *archive);
}

}  // namespace
}  // namespace berth::dynlib
