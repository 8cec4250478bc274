// Config: berthd's configuration (/etc/berth/berth.yaml plus drop-ins).
//
// The keys are a contract with operators and tools (see DESIGN.md): every key
// has a default, unknown keys and wrong types are errors naming the key, and
// drop-ins in "<config>.d/*.yaml" merge over the main file in lexical order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/status.h"

namespace berth::config {

struct RuntimeEntry {
  std::string path;  // the OCI runtime binary
  std::string root;  // its state directory (--root)
  std::string type = "oci";
  // berth's own behaviour-changing io.berth.* annotations this runtime may receive.
  std::vector<std::string> allowed_annotations;
};

struct RegistryHost {
  std::vector<std::string> mirrors;  // tried in order before the host itself
  bool insecure = false;             // plain HTTP or unverified TLS
};

struct CniConfig {
  std::string conf_dir = "/etc/cni/net.d";
  std::vector<std::string> plugin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
  std::string cache_dir;  // empty = <root>/cni-cache
  // A network config template rendered into conf_dir with the pod CIDR the
  // kubelet sends (UpdateRuntimeConfig); empty = none (pkg/cni/conf_template.h).
  std::string network_config_template;
};

struct CredentialProviders {
  std::string config;   // kubelet CredentialProviderConfig file; empty = none
  std::string bin_dir;  // where the provider binaries live
};

struct StreamConfig {
  std::string address = "127.0.0.1";
  int port = 0;  // 0 = pick a free port
  // Both set: the streaming server speaks TLS (https URLs).
  std::string tls_cert_file;
  std::string tls_key_file;
  // A session with no traffic either way for this long is closed (0 = never).
  int idle_timeout_seconds = 4 * 3600;
};

struct StatsConfig {
  // How often the writable layers of containers are measured (a background
  // walk of each overlay upper dir); stats RPCs report the last measurement.
  int disk_sample_interval_seconds = 10;
};

// Bounds on one image layer's unpacked size, against decompression bombs
// (pkg/image/layer_store.h UnpackLimits says how they combine).
struct ImageLayerLimits {
  int max_unpacked_gib = 32;      // absolute, per layer
  int max_expansion_ratio = 100;  // unpacked / compressed size; 0 = no ratio bound
};

struct MetricsConfig {
  // host:port of the Prometheus endpoint (GET /metrics); empty = no endpoint.
  std::string address;
};

struct Config {
  std::string root = "/var/lib/berth";
  std::string runroot = "/run/berth";
  std::string listen = "/run/berth/berth.sock";
  std::string log_level = "info";
  std::string conmon = "/usr/bin/conmon";
  std::string cgroup_manager = "cgroupfs";
  std::map<std::string, RuntimeEntry> runtimes = {
      {"runc", RuntimeEntry{"/usr/sbin/runc", "/run/berth/runc", "oci", {}}}};
  std::string default_runtime = "runc";
  std::string trusted_runtime = "runc";
  std::string untrusted_runtime;
  std::string default_workload_trust = "trusted";
  bool untrusted_fallback_to_trusted = false;
  // With default_workload_trust untrusted: refuse pods whose trust
  // annotation asks for the trusted runtime.
  bool forbid_trusted_opt_out = false;
  // Processes without CAP_SYS_RESOURCE cannot set an oom_score_adj below their
  // own; runc then fails obscurely, so clamp to the daemon's value instead.
  bool clamp_oom_score_adj = true;
  // How long `runtime create` (run by conmon) may take before the container
  // is given up and cleaned away.
  int runtime_create_timeout_seconds = 60;
  CniConfig cni;
  std::map<std::string, RegistryHost> registries;
  std::string auth_file;
  CredentialProviders credential_providers;
  int max_concurrent_downloads = 3;
  int image_pull_progress_timeout_seconds = 60;
  ImageLayerLimits image_layer_limits;
  std::vector<std::string> pinned_images;
  StreamConfig stream;
  StatsConfig stats;
  MetricsConfig metrics;
  std::string pause_image;  // empty = the built-in berth-pause
  std::string shutdown_file = "/var/lib/berth/berth.shutdown";
};

// Command-line values that override whatever the files say.
struct Overrides {
  std::optional<std::string> root, runroot, listen, log_level;
};

// Reads `path` (a missing file is fine when `must_exist` is false: defaults
// apply), merges "<path>.d/*.yaml", applies overrides and validates.
Result<Config> Load(const std::string& path, bool must_exist, const Overrides& overrides = {});

// Parses YAML text (tests and drop-in-free callers); same validation as Load.
Result<Config> Parse(const std::string& yaml_text, const Overrides& overrides = {});

// Semantic checks: absolute paths, known runtimes, allowed enum values.
Status Validate(const Config& config);

// The effective config as YAML (berthd config) and as JSON (Status info).
std::string ToYaml(const Config& config);
std::string ToJson(const Config& config);

bool IsValidLogLevel(const std::string& level);

// "" (off) or host:port with a numeric port 0-65535 (0 = any free port); the
// host is an IPv4 address, a [bracketed] IPv6 address or a host name.
Status ValidateMetricsAddress(const std::string& address);

}  // namespace berth::config
