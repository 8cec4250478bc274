#include "test/integration/harness/host_census.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pkg/fs/dir.h"
#include "pkg/fs/mountinfo.h"
#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {

namespace fs = std::filesystem;

namespace {

// berthd's state directories (relative to its dir) that hold one entry per
// pod or container while it exists.
constexpr const char* kStateDirs[] = {
    "root/sandboxes",
    "root/containers",
    "run/sandboxes",
    "run/containers",
    "run/exits",
    "root/cni-cache",
    "root/quarantine",
    "root/image/downloads",
    "root/image/layers/tmp",
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool NamesAny(const std::string& text, const std::vector<std::string>& needles) {
  return std::any_of(needles.begin(), needles.end(), [&](const std::string& n) {
    return !n.empty() && text.find(n) != std::string::npos;
  });
}

bool NamesAnyId(const std::string& text, const std::set<std::string>& ids) {
  return std::any_of(ids.begin(), ids.end(),
                     [&](const std::string& id) { return text.find(id) != std::string::npos; });
}

std::vector<std::string> OwnedDirs(const CensusScope& s) {
  std::vector<std::string> dirs = s.other_dirs;
  dirs.insert(dirs.begin(), s.daemon_dir);
  return dirs;
}

void CountMounts(const CensusScope& s, std::set<std::string>& out) {
  // The pinned-ns directory is a (shared) mount point by design.
  const std::string ns_dir = s.daemon_dir + "/run/ns";
  for (const auto& dir : OwnedDirs(s)) {
    for (const auto& target : MountPointsUnder(dir)) {
      if (target != ns_dir && target != dir) out.insert("mount: " + target);
    }
  }
  // Anywhere else: a mount point naming one of the test's pods or containers.
  Result<std::vector<MountInfo>> mounts = ReadMountInfo();
  if (!mounts.ok()) {
    out.insert("census error: " + mounts.status().ToString());
    return;
  }
  for (const auto& m : *mounts) {
    if (NamesAnyId(m.mount_point, s.ids)) out.insert("mount: " + m.mount_point);
  }
}

void CountFiles(const CensusScope& s, std::set<std::string>& out) {
  for (const char* rel : kStateDirs) {
    const std::string dir = s.daemon_dir + "/" + rel;
    for (const auto& name : ListDirOrEmpty(dir)) out.insert("file: " + dir + "/" + name);
  }
  const std::string ns_dir = s.daemon_dir + "/run/ns";
  for (const auto& kind : ListDirOrEmpty(ns_dir)) {
    if (!fs::is_directory(ns_dir + "/" + kind)) continue;
    for (const auto& pin : ListDirOrEmpty(ns_dir + "/" + kind)) {
      out.insert("namespace pin: " + ns_dir + "/" + kind + "/" + pin);
    }
  }
  for (const auto& name : ListDirOrEmpty("/run/netns")) {
    if (NamesAnyId(name, s.ids)) out.insert("network namespace: /run/netns/" + name);
  }
}

void CountRuntimeState(const CensusScope& s, std::set<std::string>& out) {
  for (const auto& root : s.runtime_roots) {
    std::istringstream ids(RunCommand({"/usr/sbin/runc", "--root", root, "list", "-q"}).output);
    for (std::string id; std::getline(ids, id);) {
      if (!id.empty()) out.insert("runtime state: " + root + " " + id);
    }
  }
}

void CountNetwork(const CensusScope& s, std::set<std::string>& out) {
  if (!s.ipam_dir.empty() && !s.subnet_prefix.empty()) {
    for (const auto& name : ListDirOrEmpty(s.ipam_dir + "/" + s.network_name)) {
      if (name.starts_with(s.subnet_prefix)) out.insert("host-local IP: " + name);
    }
  }
  // No bridge at all (no pod was ever attached) is no veth either.
  if (!s.bridge.empty() && RunCommand({"/usr/sbin/ip", "link", "show", s.bridge}).exit_code == 0) {
    std::istringstream veths(
        RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", s.bridge}).output);
    for (std::string line; std::getline(veths, line);) {
      // "<index>: <name>@<peer>: <flags> ...": the index and flags change.
      std::string name = line.substr(0, line.find('@'));
      name = name.substr(std::min(name.size(), name.find(' ') + 1));
      out.insert("veth on " + s.bridge + ": " + name);
    }
  }
  std::vector<std::string> needles = {s.subnet_prefix, s.bridge};
  needles.insert(needles.end(), s.ids.begin(), s.ids.end());
  std::istringstream rules(RunCommand({"/usr/sbin/iptables-save"}).output);
  for (std::string line; std::getline(rules, line);) {
    // Rules only: chain lines carry packet counters that change.
    if (line.starts_with("-A ") && NamesAny(line, needles)) out.insert("iptables: " + line);
  }
}

void CountProcesses(const CensusScope& s, std::set<std::string>& out) {
  std::vector<std::string> dirs = OwnedDirs(s);
  dirs.insert(dirs.end(), s.runtime_roots.begin(), s.runtime_roots.end());
  for (const auto& pid : ListDirOrEmpty("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string proc = "/proc/" + pid;
    std::string comm = ReadFile(proc + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    std::string cmdline = ReadFile(proc + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const bool runtime_side = comm == "conmon" || comm == "runc" || comm.starts_with("runsc");
    if ((runtime_side && NamesAny(cmdline, dirs)) ||
        NamesAnyId(ReadFile(proc + "/cgroup"), s.ids)) {
      out.insert("process: " + pid + " " + comm + " " + cmdline);
    }
  }
}

void CountCgroups(const CensusScope& s, std::set<std::string>& out) {
  if (s.ids.empty()) return;
  Result<std::vector<MountInfo>> mounts = ReadMountInfo();
  if (!mounts.ok()) {
    out.insert("census error: " + mounts.status().ToString());
    return;
  }
  for (const auto& m : *mounts) {
    if (m.fstype != "cgroup" && m.fstype != "cgroup2") continue;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(m.mount_point, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (NamesAnyId(it->path().filename().string(), s.ids)) {
        out.insert("cgroup: " + it->path().string());
      }
    }
  }
}

}  // namespace

HostCensus HostCensus::Take(const CensusScope& scope) {
  HostCensus c;
  CountMounts(scope, c.items_);
  CountFiles(scope, c.items_);
  CountRuntimeState(scope, c.items_);
  CountNetwork(scope, c.items_);
  CountProcesses(scope, c.items_);
  CountCgroups(scope, c.items_);
  return c;
}

std::vector<std::string> HostCensus::NewSince(const HostCensus& before) const {
  std::vector<std::string> out;
  std::set_difference(items_.begin(), items_.end(), before.items_.begin(), before.items_.end(),
                      std::back_inserter(out));
  return out;
}

std::vector<std::string> HostCensus::Naming(const std::string& id) const {
  std::vector<std::string> out;
  std::copy_if(items_.begin(), items_.end(), std::back_inserter(out),
               [&](const std::string& item) { return item.find(id) != std::string::npos; });
  return out;
}

void ExpectGone(const CensusScope& scope, const std::string& id) {
  for (const auto& left : HostCensus::Take(scope).Naming(id)) {
    ADD_FAILURE() << id << " is not gone: " << left;
  }
}

void ExpectNoLeaks(const CensusScope& scope, const HostCensus& before) {
  for (const auto& leak : HostCensus::Take(scope).NewSince(before)) {
    ADD_FAILURE() << "left behind: " << leak;
  }
}

}  // namespace berth::testing
