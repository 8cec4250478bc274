// Starting a child without copying the daemon's address space (spawn.cc's
// fast path): glibc's posix_spawn clones with CLONE_VM | CLONE_VFORK, so
// neither the daemon's page tables are copied at the start and torn down
// again at the exec, nor do its threads take copy-on-write faults on every
// page they write afterwards. Under many concurrent pod creations that copy
// was the daemon's largest cost.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/process/spawn.h"

namespace berth::process::internal {

// What the child gets, as spawn.cc's plan holds it.
struct NoCopyPlan {
  const std::string* argv0 = nullptr;  // for messages
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const std::vector<FdMapping>* fds = nullptr;  // every target, 0-2 included
  const std::vector<char>* keep = nullptr;      // keep[n]: child fd n (< high) is a target
  int high = 3;                                 // above every target fd
  const char* cwd = nullptr;
  bool new_session = false;
  bool new_process_group = false;
};

// Whether posix_spawn can express `options`: it cannot make a controlling
// terminal, nor run a function instead of a program.
bool CanSpawnWithoutCopy(const SpawnOptions& options, bool has_body);

// Starts the child as spawn.cc's own child would be set up: exactly the
// mapped descriptors, default signal dispositions, an empty signal mask, the
// session or process group, the working directory; the same messages for a
// failed exec or chdir.
Result<pid_t> SpawnWithoutCopy(const NoCopyPlan& plan);

}  // namespace berth::process::internal
