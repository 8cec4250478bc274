// The test executable doubles as the service under test: started by the SCM
// with --service-child <marker file>, it runs the service host and writes what
// happened to the marker file for the test that drives it.
#pragma once

#include <string>

namespace berth::platform::win::testing {

inline constexpr wchar_t kTestServiceName[] = L"berth-host-test";
inline constexpr char kServiceChildFlag[] = "--service-child";
inline constexpr char kServiceChildFailFlag[] = "--service-child-exit3";

// Runs as a service; returns the process exit code.
int RunServiceChild(const std::string& marker_path, bool exit_with_3);

}  // namespace berth::platform::win::testing
