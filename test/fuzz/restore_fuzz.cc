// Fuzz target: the files restore() reads back at start-up, as if damaged on
// disk: a bundle's config.json (annotations and process user), the
// sandbox and container state.json, an image record, a CNI cache entry.
// One bad file must never take berthd down: each reader returns an error for
// restore to quarantine the object, and never throws.
//
// Input: one selector byte (low three bits: which file), then the file.
// Properties:
//  - records rebuilt from config.json annotations write back to the same
//    annotations;
//  - an applied state file writes back to a state file that applies to the
//    same state, and a refused one leaves the object as it was;
//  - an image record and a CNI cache entry that load write back to an
//    on-disk form that loads to the same thing.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/container.h"
#include "daemon/container_record.h"
#include "daemon/sandbox.h"
#include "daemon/sandbox_record.h"
#include "pkg/cni/result_cache.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/image/image_record.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
using nlohmann::json;
namespace daemon = berth::daemon;

// The string annotations of a config.json, as restore reads them.
std::map<std::string, std::string> AnnotationsOf(const json& spec) {
  std::map<std::string, std::string> out;
  if (!spec.is_object() || !spec.contains("annotations") || !spec["annotations"].is_object()) {
    return out;
  }
  for (const auto& [key, value] : spec["annotations"].items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

void CheckSandboxBundle(const json& spec) {
  auto sandbox = daemon::SandboxFromAnnotations(AnnotationsOf(spec));
  if (!sandbox.ok()) return;
  const auto written = daemon::SandboxAnnotations(**sandbox);
  auto again = daemon::SandboxFromAnnotations(written);
  Check(again.ok() && daemon::SandboxAnnotations(**again) == written,
        "a sandbox record writes back to the same annotations");
}

void CheckContainerBundle(const json& spec) {
  auto container = daemon::ContainerFromAnnotations(AnnotationsOf(spec));
  if (!container.ok()) return;
  daemon::Container& c = **container;
  if (spec.contains("process")) {
    const std::string before = daemon::ContainerStateJson(c);
    const int64_t uid = c.uid, gid = c.gid;
    if (!daemon::ApplyProcessUser(spec["process"], &c).ok()) {
      Check(c.uid == uid && c.gid == gid && daemon::ContainerStateJson(c) == before,
            "a refused process user leaves the container as it was");
    }
  }
  const auto written = daemon::ContainerAnnotations(c);
  auto again = daemon::ContainerFromAnnotations(written);
  Check(again.ok() && daemon::ContainerAnnotations(**again) == written,
        "a container record writes back to the same annotations");
}

// A state file applied over an object that already holds a state (as after a
// first good read), so that "left as it was" is a real check.
template <typename Object>
void CheckStateFile(const std::string& text, const std::string& prior_state,
                    std::string (*write)(const Object&),
                    berth::Status (*apply)(const std::string&, Object*)) {
  Object object;
  Check(apply(prior_state, &object).ok(), "the prior state applies");
  const std::string before = write(object);
  if (!apply(text, &object).ok()) {
    Check(write(object) == before, "a refused state file leaves the object as it was");
    return;
  }
  const std::string written = write(object);
  Object fresh;
  Check(apply(written, &fresh).ok() && write(fresh) == written,
        "an applied state file writes back to one that applies the same");
}

void CheckImageRecord(std::string_view text) {
  auto record = berth::image::RecordFromJson(text);
  if (!record.ok()) return;
  const std::string written = berth::image::RecordToJson(*record);
  auto again = berth::image::RecordFromJson(written);
  Check(again.ok() && berth::image::RecordToJson(*again) == written,
        "an image record writes back to a record that loads the same");
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool IsPlainName(const std::string& s) {
  return !s.empty() && s.size() < 100 && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos && s != "." && s != "..";
}

void CheckCniCacheEntry(std::string_view text) {
  auto dir = berth::TempDir::Create("/tmp", "berth-restore-fuzz-");
  Check(dir.ok(), "a temporary CNI cache directory");
  const berth::cni::ResultCache cache(dir->path());
  {
    std::ofstream out(cache.PathFor("net", "id", "eth0"), std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auto entry = cache.Read("net", "id", "eth0");
  if (!entry.ok()) return;
  // Written back under the names it holds (a name that is not a plain file
  // name could not have been written by berth in the first place).
  if (!IsPlainName(entry->network_name) || !IsPlainName(entry->container_id) ||
      !IsPlainName(entry->ifname)) {
    return;
  }
  Check(cache.Write(*entry).ok(), "a loaded CNI cache entry can be written back");
  const std::string path = cache.PathFor(entry->network_name, entry->container_id, entry->ifname);
  const std::string written = ReadAll(path);
  auto again = cache.Read(entry->network_name, entry->container_id, entry->ifname);
  Check(again.ok() && cache.Write(*again).ok() && ReadAll(path) == written,
        "a CNI cache entry writes back to one that loads the same");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(berth::fuzz::AsText(data + 1, size - 1));
  switch (data[0] & 7) {
    case 0:
    case 1: {
      const json spec = json::parse(text, nullptr, false);
      if (spec.is_discarded()) return 0;
      if ((data[0] & 7) == 0) {
        CheckSandboxBundle(spec);
      } else {
        CheckContainerBundle(spec);
      }
      return 0;
    }
    case 2:
    case 3:
      return CheckStateFile<daemon::Sandbox>(
                 text, R"({"state":"ready","pid":4242,"ips":["10.88.0.7"]})",
                 &daemon::SandboxStateJson, &daemon::ApplySandboxStateJson),
             0;
    case 4:
    case 5:
      return CheckStateFile<daemon::Container>(
                 text, R"({"state":"running","pid":4243,"started_at":1700000000000000000})",
                 &daemon::ContainerStateJson, &daemon::ApplyContainerStateJson),
             0;
    case 6:
      CheckImageRecord(text);
      return 0;
    default:
      CheckCniCacheEntry(text);
      return 0;
  }
}
