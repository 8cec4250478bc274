# pkg/process on Windows (pkg/process/windows/): the library, the child
# program its tests start (process_child_win.cc), and the tests, which run
# in berth_platform_windows_test next to the other Win32 tests. The child is
# found next to the test executable.
add_subdirectory(${BERTH_ROOT}/pkg/process ${PROJECT_BINARY_DIR}/pkg/process)

add_executable(berth_process_win_child process_child_win.cc)
target_compile_options(berth_process_win_child PRIVATE -Wall -Wextra -Werror)

target_sources(berth_platform_windows_test PRIVATE process_win_test.cc process_run_win_test.cc)
target_link_libraries(berth_platform_windows_test PRIVATE berth_process)
add_dependencies(berth_platform_windows_test berth_process_win_child)
