# berth_daemon_windows: all of daemon/ but its transport, built for Windows.
# Globbed like daemon/CMakeLists.txt, so a new daemon file is built here too
# and CI fails on one that is Linux-only without a daemon/windows/ counterpart.
# Left out: the gRPC transport (no gRPC for mingw-w64 yet: see
# pkg/platform/README.md), the files berth_daemon_portable already builds,
# and the Linux files whose counterparts are in daemon/windows/.
add_subdirectory(${BERTH_ROOT}/pkg/config ${PROJECT_BINARY_DIR}/pkg/config)
add_subdirectory(${BERTH_ROOT}/pkg/credentials ${PROJECT_BINARY_DIR}/pkg/credentials)

set(daemon_dir ${BERTH_ROOT}/daemon)
file(GLOB daemon_windows_sources CONFIGURE_DEPENDS ${daemon_dir}/*.cc ${daemon_dir}/windows/*.cc)
set(daemon_transport call_cancel grpc_status image_service listener rpc_interceptor runtime_service
    server)
get_target_property(daemon_portable_sources berth_daemon_portable SOURCES)
foreach(linux_only IN ITEMS ${daemon_transport} conmon_liveness pod_dial stream_attach stream_exec
                            stream_pump_write)
  list(REMOVE_ITEM daemon_windows_sources ${daemon_dir}/${linux_only}.cc)
endforeach()
list(REMOVE_ITEM daemon_windows_sources ${daemon_portable_sources})

berth_library(berth_daemon_windows
  SOURCES ${daemon_windows_sources}
  DEPS berth_daemon_portable berth_base berth_config berth_platform berth_cri_api berth_registrar
       berth_truncindex berth_fs berth_oci_windows berth_seccomp berth_ns berth_cni berth_cgroups
       berth_image berth_registry berth_credentials berth_streaming berth_process berth_stats
       berth_events berth_metrics berth_service_manager spdlog::spdlog)
target_compile_definitions(berth_daemon_windows PRIVATE BERTH_VERSION="windows-build")

# berth_daemon_link_check: the daemon linked as a program, with the transport
# replaced by no_transport.cc. Linking proves that every function the
# handlers, restore and the lifecycle call exists for Windows (a real
# counterpart or an honest Unimplemented); run under Wine it opens a Server on
# a fresh state directory and shuts it down again.
add_executable(berth_daemon_link_check daemon_link_check.cc no_transport.cc)
target_compile_options(berth_daemon_link_check PRIVATE -Wall -Wextra -Werror)
target_link_libraries(berth_daemon_link_check PRIVATE berth_daemon_windows)
