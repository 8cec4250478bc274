#include "pkg/cni/result_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "pkg/cni/json_member.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"

namespace berth::cni {
namespace {

using nlohmann::json;

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
  e.network_name = StringMember(doc, "networkName");
  e.container_id = StringMember(doc, "containerId");
  e.ifname = StringMember(doc, "ifName");
  e.netns_path = StringMember(doc, "netns");
  e.pod_name = StringMember(doc, "podName");
  e.pod_namespace = StringMember(doc, "podNamespace");
  e.pod_uid = StringMember(doc, "podUid");
  e.cni_args = StringMember(doc, "cniArgs");
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
      pm.protocol = StringMember(m, "protocol");
      pm.host_ip = StringMember(m, "hostIP");
      e.port_mappings.push_back(std::move(pm));
    }
  }
  return e;
}

// What ends the file name of a container's entry (before a temp file's
// suffix), whatever the network's name.
std::string AttachmentSuffix(const std::string& container_id, const std::string& ifname) {
  return "-" + container_id + "-" + ifname + ".json";
}

}  // namespace

std::string ResultCache::PathFor(const std::string& network, const std::string& container_id,
                                 const std::string& ifname) const {
  return dir_ + "/" + network + AttachmentSuffix(container_id, ifname);
}

Status ResultCache::Write(const CacheEntry& e) const {
  BERTH_RETURN_IF_ERROR(MkdirAll(dir_, 0700));
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
  return WriteFileAtomic(path, doc.dump(2), 0600).WithContext("CNI cache");
}

Result<CacheEntry> ResultCache::Read(const std::string& network, const std::string& container_id,
                                     const std::string& ifname) const {
  return ParseEntry(PathFor(network, container_id, ifname));
}

Result<CacheEntry> ResultCache::FindForContainer(const std::string& container_id,
                                                 const std::string& ifname) const {
  const std::string suffix = AttachmentSuffix(container_id, ifname);
  for (const auto& name : ListDirOrEmpty(dir_)) {
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
    auto e = ParseEntry(dir_ + "/" + name);
    if (e.ok() && e->container_id == container_id && e->ifname == ifname) return e;
  }
  return NotFound("no CNI cache entry for container " + container_id);
}

Status ResultCache::Remove(const std::string& network, const std::string& container_id,
                           const std::string& ifname) const {
  std::string path = PathFor(network, container_id, ifname);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path, errno);
  // A write of this attachment's entry that a crash cut short (under any
  // network's name) left its temp file; nobody else will ever remove it.
  const std::string entry = AttachmentSuffix(container_id, ifname);
  for (const auto& name : ListDirOrEmpty(dir_)) {
    if (!IsAtomicWriteTempName(name) || name.find(entry) == std::string::npos) continue;
    const std::string tmp = dir_ + "/" + name;
    if (unlink(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + tmp, errno);
  }
  return OkStatus();
}

}  // namespace berth::cni
