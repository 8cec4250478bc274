// Shared set-up for the container spec tests: a temporary rootfs with
// account files, and a CRI config / options that build without errors.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"
#include "pkg/oci/container_spec.h"

namespace berth::oci::testing {

inline void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

inline TempDir MakeTempDir() {
  auto dir = TempDir::Create("/tmp", "berth-ctr-spec-");
  if (!dir.ok()) std::abort();
  return std::move(dir).value();
}

// An image rootfs with users root, app (1002), web (1003) and groups that
// list them.
inline void WriteAccounts(const std::string& rootfs) {
  WriteFile(rootfs + "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "# a comment line\n"
            "app:x:1002:1002:App:/home/app:/bin/sh\n"
            "web:x:1003:1500::/srv/web:/bin/sh\n"
            "broken line\n");
  WriteFile(rootfs + "/etc/group",
            "root:x:0:\n"
            "app:x:1002:\n"
            "staff:x:50:app,web\n"
            "audio:x:63:web\n"
            "webgrp:x:1500:\n"
            "video:x:44:root,app\n");
}

inline const std::string kCtrId = std::string(64, 'b');
inline const std::string kPodId = std::string(64, 'a');

inline runtime::v1::ContainerConfig BaseConfig() {
  runtime::v1::ContainerConfig c;
  c.mutable_metadata()->set_name("web");
  return c;
}

inline PodContext BasePod() {
  PodContext p;
  p.sandbox_id = kPodId;
  p.net_ns_path = "/run/berth/ns/net/" + kPodId;
  p.ipc_ns_path = "/run/berth/ns/ipc/" + kPodId;
  p.uts_ns_path = "/run/berth/ns/uts/" + kPodId;
  p.pid_ns_path = "/proc/4242/ns/pid";
  p.hostname = "web-1";
  p.hostname_file = "/var/lib/berth/sandboxes/" + kPodId + "/hostname";
  p.hosts_file = "/var/lib/berth/sandboxes/" + kPodId + "/hosts";
  p.resolv_conf_file = "/var/lib/berth/sandboxes/" + kPodId + "/resolv.conf";
  p.shm_path = "/run/berth/sandboxes/" + kPodId + "/shm";
  p.cgroup_parent = "/kubepods/pod1";
  return p;
}

}  // namespace berth::oci::testing
