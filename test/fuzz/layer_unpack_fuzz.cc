// Fuzz target: unpacking a layer blob (pkg/image/layer_unpack) into a real
// directory, as a pull does with every layer a registry sends.
//
// The input is the blob (tar, tar+gzip or tar+zstd). It is unpacked into
// <base>/root, next to <base>/outside, a small tree the layer must never
// touch; <base> is fixed (/tmp/berth-layer-fuzz) so that seeds can aim
// absolute symlinks and hard links at it. Properties, after every input:
//  - nothing outside the root changed: <base> holds only root, outside and
//    the blob, every entry under outside has the type, mode, owner, size,
//    link count, time and link target it had, and the blob is untouched;
//  - the root is still a directory (not replaced by a symlink);
//  - an uncompressed blob that unpacks has the sha256 of its bytes as its
//    diff ID (trailing bytes included, as registries hash them).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "pkg/base/digest.h"
#include "pkg/fs/dir.h"
#include "pkg/image/layer_unpack.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
namespace stdfs = std::filesystem;

const std::string kBase = "/tmp/berth-layer-fuzz";
const std::string kRoot = kBase + "/root";
const std::string kOutside = kBase + "/outside";
const std::string kBlob = kBase + "/blob";

// What lstat and readlink say about one path, all that an escape would change.
std::string Describe(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "missing";
  std::string out = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
                    std::to_string(st.st_gid) + " size " + std::to_string(st.st_size) + " links " +
                    std::to_string(st.st_nlink) + " mtime " + std::to_string(st.st_mtim.tv_sec) +
                    "." + std::to_string(st.st_mtim.tv_nsec);
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    out += " -> " + stdfs::read_symlink(path, ec).string();
  }
  return out;
}

// Every name directly in <base>, and every entry under outside.
std::map<std::string, std::string> SnapshotOutside() {
  std::map<std::string, std::string> snap;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(kBase, ec)) {
    const std::string name = e.path().filename();
    snap["base/" + name] = name == "blob" || name == "root" ? "present" : Describe(e.path());
  }
  snap["outside"] = Describe(kOutside);
  for (auto it = stdfs::recursive_directory_iterator(kOutside, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    snap[it->path().string()] = Describe(it->path());
  }
  return snap;
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  Check(out.good(), "writing a file of the fuzz tree");
}

// Sets up <base> once per process and returns the snapshot every input is
// compared with. Holds a lock on <base> for the whole run: two fuzzers
// sharing the fixed tree would see each other's writes as escapes.
const std::map<std::string, std::string>& Baseline() {
  static const std::map<std::string, std::string> baseline = [] {
    const int lock = ::open((kBase + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    Check(lock >= 0 && ::flock(lock, LOCK_EX) == 0, "locking the fuzz tree");
    Check(berth::RemoveAll(kBase).ok(), "clearing the fuzz tree");
    Check(berth::MkdirAll(kOutside + "/dir").ok() && berth::MkdirAll(kRoot).ok(),
          "creating the fuzz tree");
    WriteFile(kOutside + "/file", "must stay as it is\n");
    WriteFile(kOutside + "/dir/inner", "and so must this\n");
    Check(::symlink("file", (kOutside + "/link").c_str()) == 0, "creating outside/link");
    WriteFile(kBlob, "");
    std::atexit([] { (void)berth::RemoveAll(kBase); });
    return SnapshotOutside();
  }();
  return baseline;
}

bool LooksCompressed(std::string_view blob) {
  return blob.starts_with("\x1f\x8b") || blob.starts_with("\x28\xb5\x2f\xfd");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& baseline = Baseline();
  const std::string_view blob = berth::fuzz::AsText(data, size);
  WriteFile(kBlob, blob);

  berth::image::UnpackOptions options;
  options.rootless = ::geteuid() != 0;  // CI runs as root; a developer may not
  auto unpacked = berth::image::UnpackLayer(kBlob, kRoot, options);

  Check(SnapshotOutside() == baseline, "nothing outside the root changed");
  struct stat st {};
  Check(::lstat(kBlob.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
            static_cast<size_t>(st.st_size) == size,
        "the blob itself is untouched");
  Check(::lstat(kRoot.c_str(), &st) == 0 && S_ISDIR(st.st_mode), "the root is still a directory");
  if (unpacked.ok() && !LooksCompressed(blob)) {
    Check(unpacked->diff_id == berth::Sha256Digest(blob),
          "an uncompressed layer's diff ID is the sha256 of its bytes");
  }

  // A fresh, empty root for the next input.
  Check(berth::RemoveAll(kRoot).ok() && berth::MkdirAll(kRoot).ok(), "emptying the root");
  return 0;
}
