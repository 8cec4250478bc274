# The runtime side of the Windows build: pkg/oci and pkg/image's rootfs
# mounting, each Linux-only file replaced by its *_windows.cc counterpart
# (real where Windows has the concept: the exit directory watch, killing a
# process by pid; an honest Unimplemented naming HCS where it has not:
# conmon, gVisor, device nodes, overlayfs, the infra rootfs). pkg/fs's mount
# and removal counterparts are in berth_fs itself (pkg/fs/CMakeLists.txt),
# pkg/image's in berth_image (pkg/image/CMakeLists.txt, image_metrics.cmake).
# Static libraries, so that a file calling into what is still being ported
# (pkg/process, pkg/cgroups) compiles here and links where it is used.
set(oci_dir ${BERTH_ROOT}/pkg/oci)
berth_library(berth_oci_windows
  SOURCES
    ${oci_dir}/capabilities.cc
    ${oci_dir}/conmon_protocol.cc
    ${oci_dir}/conmon_windows.cc
    ${oci_dir}/container_devices_windows.cc
    ${oci_dir}/container_mounts.cc
    ${oci_dir}/container_resources.cc
    ${oci_dir}/container_spec.cc
    ${oci_dir}/container_user.cc
    ${oci_dir}/container_validate.cc
    ${oci_dir}/exit_file.cc
    ${oci_dir}/exit_watch_windows.cc
    ${oci_dir}/gvisor_port_forward_windows.cc
    ${oci_dir}/gvisor_shim_args.cc
    ${oci_dir}/gvisor_shim_windows.cc
    ${oci_dir}/host_process_kill_windows.cc
    ${oci_dir}/infra_rootfs_windows.cc
    ${oci_dir}/net_sysctls_hidden_windows.cc
    ${oci_dir}/node_profile.cc
    ${oci_dir}/own_oom_score_adj_windows.cc
    ${oci_dir}/rootfs_file_windows.cc
    ${oci_dir}/runtime_cli.cc
    ${oci_dir}/runtime_kind.cc
    ${oci_dir}/runtime_router.cc
    ${oci_dir}/sandbox_spec.cc
    ${oci_dir}/spec_defaults.cc
    ${oci_dir}/stop_signal.cc
    ${oci_dir}/sysctl.cc
  DEPS berth_base berth_cri_api berth_fs nlohmann_json::nlohmann_json Threads::Threads)

# Their tests run in berth_portable_windows_test: the Linux unit tests that
# are portable (the exit file reader and watcher, the infra container's spec,
# sysctl validation), and runtime_win_test.cc (volume mount points, killing
# by pid, the Linux-only objects' answers).
target_sources(berth_portable_windows_test PRIVATE
  ${BERTH_ROOT}/test/unit/oci/exit_file_test.cc
  ${BERTH_ROOT}/test/unit/oci/sandbox_spec_test.cc
  ${BERTH_ROOT}/test/unit/oci/sysctl_test.cc
  runtime_win_test.cc)
target_link_libraries(berth_portable_windows_test PRIVATE berth_oci_windows berth_image)
