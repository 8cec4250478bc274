# berth_daemon_portable: the files of daemon/ that compile and link for Windows
# (the CRI service layer minus gRPC and the Linux runtime plumbing): the
# container and sandbox records restore reads and writes, their JSON fields and
# bundle markers, the platform seam of the container lifecycle, the per-call
# context and slow-call watchdog, the event stream's loop and the cAdvisor
# translation of pod stats. pkg/platform/README.md lists what of
# daemon/ does not, and why.
set(daemon_dir ${BERTH_ROOT}/daemon)
berth_library(berth_daemon_portable
  SOURCES
    ${daemon_dir}/bundle_marker.cc
    ${daemon_dir}/call_context.cc
    ${daemon_dir}/call_tracker.cc
    ${daemon_dir}/container_record.cc
    ${daemon_dir}/event_stream.cc
    ${daemon_dir}/object_ids.cc
    ${daemon_dir}/platform_hooks.cc
    ${daemon_dir}/pod_metrics_cadvisor.cc
    ${daemon_dir}/sandbox_record.cc
    ${daemon_dir}/state_json_fields.cc
  DEPS berth_base berth_cri_api berth_events berth_fs berth_platform berth_registrar berth_truncindex
       nlohmann_json::nlohmann_json spdlog::spdlog)
