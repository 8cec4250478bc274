// Windows build of LayerStore's disk side (layer_store.cc is the Linux one).
// That store is overlayfs's layout: diff trees with whiteout device nodes,
// short symlinks for lowerdir=, syncfs to publish. Windows image layers are
// WCIFS layers that the Host Compute Service imports (wclayer) and attaches,
// another store altogether; until berth has one, no LayerStore opens on
// Windows, so the calls below are reached only through Open's error.
#include "pkg/image/layer_store.h"

namespace berth::image {
namespace {

Status OverlayLayersAreLinuxOnly(const std::string& what) {
  return Unimplemented(what +
                       ": this layer store keeps overlayfs layers, which are Linux-only; "
                       "Windows image layers are WCIFS layers imported and attached by the "
                       "Host Compute Service");
}

}  // namespace

Result<std::unique_ptr<LayerStore>> LayerStore::Open(const std::string& root) {
  return OverlayLayersAreLinuxOnly("open the layer store in " + root);
}

Result<std::vector<std::string>> LayerStore::CheckIntegrity() {
  return OverlayLayersAreLinuxOnly("check the layers in " + layers_dir_);
}

Result<LayerInfo> LayerStore::UnpackInto(const LayerBlob& blob, const std::string& /*known_chain*/,
                                         const CancelToken& /*cancel*/) {
  return OverlayLayersAreLinuxOnly("unpack layer blob " + blob.digest + " into " + layers_dir_);
}

Result<std::string> LayerStore::Detach(const std::string& chain_id) {
  return OverlayLayersAreLinuxOnly("detach layer " + chain_id.substr(0, 80) + " from " +
                                   layers_dir_);
}

}  // namespace berth::image
