# The Windows build of pkg/metrics (prometheus-cpp and civetweb, cross-built
# by hack/mingw-deps.sh), pkg/registry and pkg/image (what of it has a meaning
# on Windows: pkg/image/CMakeLists.txt says which); pkg/dynlib's libcurl and
# libarchive tables build from those libraries' headers alone. Their tests run
# in berth_portable_windows_test: the portable unit tests of test/unit/ (the
# metrics endpoint's with a Winsock client) and the Windows counterparts' own
# (process figures from the process's counters, the volume of a path, the
# unpacker's refusal, the tables' DLL names).
find_package(prometheus-cpp CONFIG REQUIRED)
add_subdirectory(${BERTH_ROOT}/pkg/metrics ${PROJECT_BINARY_DIR}/pkg/metrics)
add_subdirectory(${BERTH_ROOT}/pkg/registry ${PROJECT_BINARY_DIR}/pkg/registry)
add_subdirectory(${BERTH_ROOT}/pkg/image ${PROJECT_BINARY_DIR}/pkg/image)

target_sources(berth_portable_windows_test PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/http_get_win.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/image_win_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/process_collector_win_test.cc
  ${unit}/image_registry/auth_config_test.cc
  ${unit}/image_registry/blob_writer_test.cc
  ${unit}/image_registry/challenge_test.cc
  ${unit}/image_registry/manifest_test.cc
  ${unit}/image_registry/reference_test.cc
  ${unit}/image_registry/registry_endpoints_test.cc
  ${unit}/metrics/daemon_metrics_test.cc
  ${unit}/metrics/metrics_endpoint_test.cc)
target_link_libraries(berth_portable_windows_test PRIVATE berth_image berth_metrics berth_registry)

# process_open_fds on Windows: built, not run by hack/test-windows.sh, since
# Wine 8's GetProcessHandleCount answers 0 whatever the process holds; run it
# on Windows.
add_executable(berth_process_handles_windows_test process_handles_win_test.cc)
target_include_directories(berth_process_handles_windows_test PRIVATE ${BERTH_ROOT})
target_compile_options(berth_process_handles_windows_test PRIVATE -Wall -Wextra -Werror)
target_link_libraries(berth_process_handles_windows_test PRIVATE berth_metrics gtest_win gtest_main_win)
