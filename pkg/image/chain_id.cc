#include "pkg/image/chain_id.h"

#include "pkg/base/digest.h"
#include "pkg/base/quote.h"

namespace berth::image {

std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id) {
  if (parent_chain_id.empty()) return std::string(diff_id);
  std::string buf;
  buf.reserve(parent_chain_id.size() + 1 + diff_id.size());
  buf.append(parent_chain_id).append(" ").append(diff_id);
  return Sha256Digest(buf);
}

Result<std::vector<std::string>> ChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  out.reserve(diff_ids.size());
  for (const auto& d : diff_ids) {
    if (!IsSha256Digest(d)) {
      return InvalidArgument("diff ID " + QuoteForMessage(d, 100) + " is not a sha256 digest");
    }
    out.push_back(ChainId(out.empty() ? std::string_view() : std::string_view(out.back()), d));
  }
  return out;
}

}  // namespace berth::image
