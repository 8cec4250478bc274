// Fuzz target: a layer's meta.json, as the layer store reads it back at
// start-up (LayerStore::Open checks every layer). A damaged record must
// never take berthd down or be served: the layer is set aside and removed,
// and every other part of the store stays usable.
//
// Input: the meta.json text. The layer's directory is named after the
// input's "chain_id" when that is a well-formed sha256 digest (so that the
// fuzzer can reach the records that match their directory), else a fixed one.
// Properties:
//  - Open succeeds (a bad record is never an error of the whole store);
//  - a layer served has the chain ID of its directory, a chain ID that follows
//    from its parent and diff ID, and its short link names its directory;
//  - a layer not served is gone from the store's directory, and nothing of
//    it is left in the store's tmp/.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "pkg/fs/temp_dir.h"
#include "pkg/image/chain_id.h"
#include "pkg/image/layer_store.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
namespace image = berth::image;
namespace stdfs = std::filesystem;

constexpr char kFallbackHex[] = "5f0c6c5d8a3a1c9e2b7d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e";

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The directory name the record would live under.
std::string DirHexFor(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("chain_id") && j["chain_id"].is_string()) {
    const std::string id = j["chain_id"].get<std::string>();
    if (id.rfind("sha256:", 0) == 0 && IsLowerHex64(id.substr(7))) return id.substr(7);
  }
  return kFallbackHex;
}

bool IsEmptyDir(const std::string& dir) {
  std::error_code ec;
  return stdfs::is_empty(dir, ec) && !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The store logs each layer it sets aside: a line per input is noise here.
  static const bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  const std::string_view text = berth::fuzz::AsText(data, size);
  auto root = berth::TempDir::Create("/tmp", "berth-layer-record-fuzz-");
  if (!root.ok()) return 0;
  const std::string layers = root->path() + "/layers";
  const std::string hex = DirHexFor(text);
  stdfs::create_directories(layers + "/" + hex + "/diff");
  std::ofstream(layers + "/" + hex + "/meta.json", std::ios::binary) << text;

  auto store = image::LayerStore::Open(root->path());
  Check(store.ok(), "a damaged layer record never fails the whole store",
        store.ok() ? "" : store.status().message());
  auto served = (*store)->Get("sha256:" + hex);
  if (served.ok()) {
    Check(served->chain_id == "sha256:" + hex, "a served layer has its directory's chain ID");
    Check(image::ChainId(served->parent_chain_id, served->diff_id) == served->chain_id,
          "a served layer's chain ID follows from its parent and diff ID");
    char target[256];
    const ssize_t n = readlink((layers + "/l/" + served->short_id).c_str(), target, sizeof target);
    Check(n > 0 &&
              std::string_view(target, static_cast<size_t>(n)).find(hex) != std::string_view::npos,
          "a served layer's short link names its directory");
  } else {
    struct stat st;
    Check(lstat((layers + "/" + hex).c_str(), &st) != 0, "a layer not served is removed");
    Check(IsEmptyDir(layers + "/tmp"), "nothing of a removed layer is left in tmp/");
  }
  return 0;
}
