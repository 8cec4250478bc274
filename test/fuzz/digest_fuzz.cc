// Fuzz target: content digests, as registries and image configs give them
// (pkg/base/digest), and the layer chain IDs computed from rootfs.diff_ids
// (pkg/image/chain_id).
//
// Input: newline-separated candidate digests. Properties:
//  - ValidateDigest agrees with IsSha256Digest, and a valid digest is
//    "sha256:" + its hex part;
//  - ValidateDigest's error names what was checked and is escaped and bounded;
//  - one-shot and chunked SHA-256 of the input agree and produce valid
//    digests;
//  - ChainIds succeeds exactly when every line is valid, starts with the first
//    diff ID and follows ChainId link by link.
#include <cstdint>
#include <string>
#include <vector>

#include "pkg/base/digest.h"
#include "pkg/image/chain_id.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;

void CheckCandidate(std::string_view candidate) {
  const bool valid = berth::IsSha256Digest(candidate);
  berth::Status status = berth::ValidateDigest(candidate, "fuzz blob");
  Check(status.ok() == valid, "ValidateDigest agrees with IsSha256Digest");
  if (!valid) {
    Check(status.message().find("fuzz blob") != std::string::npos,
          "a digest error names what was checked");
    Check(berth::fuzz::IsPrintableMessage(status.message()),
          "a digest error is escaped and bounded", status.message());
    return;
  }
  const std::string_view hex = berth::DigestHex(candidate);
  Check(berth::IsSha256Hex(hex), "the hex part is 64 lowercase hex digits");
  Check(std::string(berth::kSha256Prefix) + std::string(hex) == candidate,
        "a digest is its prefix and its hex");
}

void CheckHashers(std::string_view input) {
  const std::string one_shot = berth::Sha256Digest(input);
  Check(berth::IsSha256Digest(one_shot), "a computed digest is valid");
  berth::Sha256Hasher chunked;
  // Uneven chunks, as network reads deliver them.
  for (size_t at = 0, step = 1; at < input.size(); at += step, step = step * 2 + 1) {
    chunked.Update(input.substr(at, step));
  }
  Check(chunked.Finish() == one_shot, "chunked hashing equals one-shot hashing");
}

void CheckChainIds(const std::vector<std::string>& diff_ids) {
  bool all_valid = true;
  for (const std::string& d : diff_ids) all_valid = all_valid && berth::IsSha256Digest(d);
  auto chain = berth::image::ChainIds(diff_ids);
  Check(chain.ok() == all_valid, "chain IDs exist exactly for valid diff IDs");
  if (!chain.ok()) return;
  Check(chain->size() == diff_ids.size(), "one chain ID per layer");
  std::string parent;
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    parent = berth::image::ChainId(parent, diff_ids[i]);
    Check((*chain)[i] == parent && berth::IsSha256Digest(parent),
          "each chain ID links its parent and its diff ID");
  }
  if (!diff_ids.empty())
    Check(chain->front() == diff_ids.front(), "the bottom chain ID is its diff ID");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = berth::fuzz::AsText(data, size);
  std::vector<std::string> lines;
  for (std::string_view line : berth::fuzz::SplitParts(text, "\n", 64)) {
    CheckCandidate(line);
    lines.emplace_back(line);
  }
  CheckHashers(text);
  CheckChainIds(lines);
  return 0;
}
