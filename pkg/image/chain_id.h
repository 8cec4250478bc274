// Layer chain IDs (OCI image spec): the identity of a layer together with
// every layer below it, which keys the layer store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::image {

// chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
// `parent_chain_id` empty means `diff_id` is the bottom layer.
std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id);

// Chain IDs of a whole rootfs, bottom layer first (same order as rootfs.diff_ids).
// Every diff ID must be a valid sha256 digest (InvalidArgument naming it otherwise).
Result<std::vector<std::string>> ChainIds(const std::vector<std::string>& diff_ids);

}  // namespace berth::image
