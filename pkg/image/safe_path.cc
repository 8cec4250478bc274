#include "pkg/image/safe_path.h"

namespace berth::image {

std::string QuoteEntry(std::string_view s) {
  // Entry names are hostile: cap their length and hide control characters in messages.
  std::string out = "\"";
  for (char c : s.substr(0, 256)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 256) out += "...";
  return out + "\"";
}

namespace {
std::string Quote(std::string_view s) {
  return QuoteEntry(s);
}
}  // namespace

Result<std::vector<std::string>> SplitEntryPath(std::string_view name, bool allow_root) {
  if (name.starts_with('/')) {
    return InvalidArgument("layer entry " + Quote(name) + " has an absolute path");
  }
  std::vector<std::string> comps;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      return InvalidArgument("layer entry " + Quote(name) + " has a \"..\" component");
    }
    comps.emplace_back(c);
  }
  if (comps.empty() && !allow_root) {
    return InvalidArgument("layer entry " + Quote(name) + " names the layer root");
  }
  return comps;
}

}  // namespace berth::image
