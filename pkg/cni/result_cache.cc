#include "pkg/cni/result_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <iterator>

namespace berth::cni {
namespace {

using nlohmann::json;

// Private stand-in for pkg/fs's WriteFileAtomic, which is being written in
// parallel: temp file, write, fsync, rename, fsync the directory.
Status WriteAtomic(const std::string& dir, const std::string& path, const std::string& data) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp =
      path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter.fetch_add(1));
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("create " + tmp, errno);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return ErrnoError("write " + tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return ErrnoError("fsync " + tmp, err);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError("rename " + tmp + " to " + path, err);
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoError("open " + dir, errno);
  int rc = fsync(dfd);
  int err = errno;
  close(dfd);
  if (rc != 0) return ErrnoError("fsync " + dir, err);
  return OkStatus();
}

Status MakeDirs(const std::string& dir) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir " + cur, errno);
  }
  return OkStatus();
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<CacheEntry> ParseEntry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return NotFound("no CNI cache entry " + path);
    return ErrnoError("open " + path, errno);
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("CNI cache entry " + path + " is not a JSON object");
  }
  CacheEntry e;
  e.network_name = Str(doc, "networkName");
  e.container_id = Str(doc, "containerId");
  e.ifname = Str(doc, "ifName");
  e.netns_path = Str(doc, "netns");
  e.pod_name = Str(doc, "podName");
  e.pod_namespace = Str(doc, "podNamespace");
  e.pod_uid = Str(doc, "podUid");
  e.cni_args = Str(doc, "cniArgs");
  if (auto it = doc.find("config"); it != doc.end() && it->is_object()) e.config = *it;
  if (!e.config.is_object()) return InvalidArgument("CNI cache entry " + path + " has no config");
  if (auto it = doc.find("result"); it != doc.end() && it->is_object()) e.result = *it;
  if (auto it = doc.find("portMappings"); it != doc.end() && it->is_array()) {
    for (const auto& m : *it) {
      if (!m.is_object()) continue;
      PortMapping pm;
      auto num = [&](const char* k) {
        auto v = m.find(k);
        return v != m.end() && v->is_number_integer() ? v->get<int>() : 0;
      };
      pm.host_port = num("hostPort");
      pm.container_port = num("containerPort");
      pm.protocol = Str(m, "protocol");
      pm.host_ip = Str(m, "hostIP");
      e.port_mappings.push_back(std::move(pm));
    }
  }
  return e;
}

}  // namespace

std::string ResultCache::PathFor(const std::string& network, const std::string& container_id,
                                 const std::string& ifname) const {
  return dir_ + "/" + network + "-" + container_id + "-" + ifname + ".json";
}

Status ResultCache::Write(const CacheEntry& e) const {
  BERTH_RETURN_IF_ERROR(MakeDirs(dir_));
  json doc = {{"kind", "berth-cni-cache/v1"},
              {"networkName", e.network_name},
              {"containerId", e.container_id},
              {"ifName", e.ifname},
              {"netns", e.netns_path},
              {"podName", e.pod_name},
              {"podNamespace", e.pod_namespace},
              {"podUid", e.pod_uid},
              {"cniArgs", e.cni_args},
              {"config", e.config},
              {"result", e.result ? *e.result : json(nullptr)}};
  json pms = json::array();
  for (const auto& pm : e.port_mappings) {
    pms.push_back({{"hostPort", pm.host_port},
                   {"containerPort", pm.container_port},
                   {"protocol", pm.protocol},
                   {"hostIP", pm.host_ip}});
  }
  doc["portMappings"] = std::move(pms);
  std::string path = PathFor(e.network_name, e.container_id, e.ifname);
  return WriteAtomic(dir_, path, doc.dump(2)).WithContext("CNI cache");
}

Result<CacheEntry> ResultCache::Read(const std::string& network, const std::string& container_id,
                                     const std::string& ifname) const {
  return ParseEntry(PathFor(network, container_id, ifname));
}

Result<CacheEntry> ResultCache::FindForContainer(const std::string& container_id,
                                                 const std::string& ifname) const {
  const std::string suffix = "-" + container_id + "-" + ifname + ".json";
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return NotFound("no CNI cache entry for container " + container_id);
  std::vector<std::string> candidates;
  while (struct dirent* ent = readdir(d)) {
    std::string name = ent->d_name;
    if (name.size() > suffix.size() && name.ends_with(suffix)) candidates.push_back(name);
  }
  closedir(d);
  for (const auto& name : candidates) {
    auto e = ParseEntry(dir_ + "/" + name);
    if (e.ok() && e->container_id == container_id && e->ifname == ifname) return e;
  }
  return NotFound("no CNI cache entry for container " + container_id);
}

Status ResultCache::Remove(const std::string& network, const std::string& container_id,
                           const std::string& ifname) const {
  std::string path = PathFor(network, container_id, ifname);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path, errno);
  return OkStatus();
}

}  // namespace berth::cni
