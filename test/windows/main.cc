// Windows test entry: GoogleTest, or the service under test when the SCM starts us.
#include <gtest/gtest.h>

#include <cstring>

#include "test/windows/service_child.h"

int main(int argc, char** argv) {
  using namespace berth::platform::win::testing;
  if (argc == 3 && std::strcmp(argv[1], kServiceChildFlag) == 0) {
    return RunServiceChild(argv[2], false);
  }
  if (argc == 3 && std::strcmp(argv[1], kServiceChildFailFlag) == 0) {
    return RunServiceChild(argv[2], true);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
