#include "pkg/fs/atomic_file.h"
#include "pkg/fs/mountinfo.h"

namespace berth {

Result<std::vector<MountInfo>> ReadMountInfo() {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/mountinfo"));
  return ParseMountInfo(text);
}

}  // namespace berth
