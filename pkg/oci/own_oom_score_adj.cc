// sandbox_spec.h's ReadOwnOomScoreAdj on Linux (own_oom_score_adj_windows.cc
// is the Windows one).
#include <cerrno>
#include <cstdio>

#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {

Result<int> ReadOwnOomScoreAdj() {
  FILE* f = fopen("/proc/self/oom_score_adj", "re");
  if (f == nullptr) return ErrnoError("open /proc/self/oom_score_adj", errno);
  int v = 0;
  int n = fscanf(f, "%d", &v);
  fclose(f);
  if (n != 1) return Internal("cannot parse /proc/self/oom_score_adj");
  return v;
}

}  // namespace berth::oci
