// The mountinfo parser, the same on every system; reading this process's
// list is mountinfo_linux.cc (windows/mountinfo_windows.cc says why Windows
// has none).
#include "pkg/fs/mountinfo.h"

#include <charconv>

namespace berth {
namespace {

// The kernel escapes space, tab, newline and backslash in paths as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool ParseInt(std::string_view s, int& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<std::vector<MountInfo>> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;

    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    std::vector<std::string_view> f = Fields(line);
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    MountInfo m;
    if (sep + 1 >= f.size() || !ParseInt(f[0], m.id) || !ParseInt(f[1], m.parent_id)) {
      return InvalidArgument("mountinfo line " + std::to_string(line_no) + " is malformed");
    }
    m.root = Unescape(f[3]);
    m.mount_point = Unescape(f[4]);
    m.fstype = Unescape(f[sep + 1]);
    if (sep + 2 < f.size()) m.source = Unescape(f[sep + 2]);
    if (sep + 3 < f.size()) m.super_options = Unescape(f[sep + 3]);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

}  // namespace berth
