#include "pkg/fs/atomic_write_name.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "pkg/base/random_bytes.h"
#include "pkg/fs/atomic_file.h"

namespace berth {
namespace {

// Keeps the temp name within NAME_MAX however long the target's name is.
constexpr size_t kMaxBaseInTempName = 200;
// Temp files are ".<base>.tmp-<random>".
constexpr char kTempInfix[] = ".tmp-";

std::string RandomSuffix() {
  uint64_t r = 0;
  if (!FillRandomBytes({reinterpret_cast<std::uint8_t*>(&r), sizeof r}).ok()) {
    // Uniqueness, not secrecy, is what matters: O_EXCL catches collisions.
    r = static_cast<uint64_t>(::getpid()) << 32 ^ static_cast<uint64_t>(::time(nullptr));
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
  return buf;
}

}  // namespace

Result<AtomicWritePath> SplitAtomicWritePath(const std::string& path) {
  const size_t slash = path.rfind('/');
  AtomicWritePath out;
  out.dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  out.base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (out.base.empty() || out.base == "." || out.base == "..") {
    return InvalidArgument("atomic write: \"" + path + "\" does not name a file");
  }
  return out;
}

std::string AtomicWriteTempName(const std::string& base) {
  // Appended piece by piece: GCC 12 at -O3 (the Windows build) takes
  // `"." + std::string` for an overlapping memcpy (-Wrestrict, a known false positive).
  std::string name = ".";
  name.append(base, 0, kMaxBaseInTempName);
  name += kTempInfix;
  name += RandomSuffix();
  return name;
}

bool IsAtomicWriteTempName(std::string_view name) {
  return name.size() > 1 && name.front() == '.' &&
         name.find(kTempInfix, 1) != std::string_view::npos;
}

}  // namespace berth
