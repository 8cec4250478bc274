# pkg/process on Windows (pkg/process/windows/), pkg/cni (its conf dir
# watcher by a change notification; the rest is shared), and the Windows
# files of what the host offers or lacks: pkg/stats (disk usage by a Win32 walk; no
# cgroups), pkg/cgroups, pkg/ns, pkg/seccomp, pkg/service_manager (Linux-only:
# their Windows answers). Their tests run in berth_platform_windows_test next
# to the other Win32 tests; pkg/process's child program
# (process_child_win.cc) is found next to the test executable.
add_subdirectory(${BERTH_ROOT}/pkg/process ${PROJECT_BINARY_DIR}/pkg/process)
add_subdirectory(${BERTH_ROOT}/pkg/cni ${PROJECT_BINARY_DIR}/pkg/cni)
add_subdirectory(${BERTH_ROOT}/pkg/cgroups ${PROJECT_BINARY_DIR}/pkg/cgroups)
add_subdirectory(${BERTH_ROOT}/pkg/ns ${PROJECT_BINARY_DIR}/pkg/ns)
add_subdirectory(${BERTH_ROOT}/pkg/seccomp ${PROJECT_BINARY_DIR}/pkg/seccomp)
add_subdirectory(${BERTH_ROOT}/pkg/service_manager ${PROJECT_BINARY_DIR}/pkg/service_manager)
add_subdirectory(${BERTH_ROOT}/pkg/stats ${PROJECT_BINARY_DIR}/pkg/stats)

add_executable(berth_process_win_child process_child_win.cc)
target_compile_options(berth_process_win_child PRIVATE -Wall -Wextra -Werror)

target_sources(berth_platform_windows_test PRIVATE
  conf_watcher_win_test.cc
  disk_usage_win_test.cc
  linux_only_win_test.cc
  process_run_win_test.cc
  process_win_test.cc
  # The portable unit tests of pkg/stats.
  ${BERTH_ROOT}/test/unit/stats/cgroup_path_test.cc
  ${BERTH_ROOT}/test/unit/stats/cpu_rate_test.cc
  ${BERTH_ROOT}/test/unit/stats/runsc_stats_test.cc)
target_link_libraries(berth_platform_windows_test PRIVATE berth_cgroups berth_cni berth_ns berth_process
                      berth_seccomp berth_service_manager berth_stats)
add_dependencies(berth_platform_windows_test berth_process_win_child)
