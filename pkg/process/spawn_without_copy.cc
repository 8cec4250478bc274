#include "pkg/process/spawn_without_copy.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "pkg/fs/scoped_fd.h"

namespace berth::process::internal {
namespace {

// posix_spawn's attributes and file actions, destroyed with the call.
class SpawnSetup {
 public:
  SpawnSetup() {
    ok_ = posix_spawnattr_init(&attr_) == 0 && posix_spawn_file_actions_init(&actions_) == 0;
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  bool ok() const { return ok_; }
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  bool ok_ = false;
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

bool CanSpawnWithoutCopy(const SpawnOptions& options, bool has_body) {
  return !has_body && options.controlling_tty < 0;
}

Result<pid_t> SpawnWithoutCopy(const NoCopyPlan& p) {
  const std::string& argv0 = *p.argv0;
  SpawnSetup setup;
  if (!setup.ok()) return Internal("spawn " + argv0 + ": posix_spawn set-up failed");

  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (p.new_session) {
    flags |= POSIX_SPAWN_SETSID;
  } else if (p.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;  // process group 0: its own
  }
  // Every disposition back to the default, "ignore" included (it would
  // survive the exec), and nothing blocked.
  sigset_t all, none;
  sigfillset(&all);
  // sigfillset leaves out glibc's two internal signals (32 and 33), which
  // posix_spawn then sets to "ignore" in the child; the exec would carry
  // that into conmon, runc and the containers. Their bits are set by hand
  // so that they go back to the default as well.
  constexpr size_t kBits = 8 * sizeof(all.__val[0]);
  for (int sig : {32, 33}) {
    all.__val[static_cast<size_t>(sig - 1) / kBits] |= 1UL
                                                       << (static_cast<size_t>(sig - 1) % kBits);
  }
  sigemptyset(&none);
  int rc = posix_spawnattr_setflags(setup.attr(), flags);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(setup.attr(), &all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(setup.attr(), &none);
  if (rc == 0 && !p.new_session && p.new_process_group) {
    rc = posix_spawnattr_setpgroup(setup.attr(), 0);
  }

  // Each source is first copied above every target, here in the parent
  // (close-on-exec, so no other child keeps it), so that placing one
  // target never overwrites a source still to be placed.
  std::vector<ScopedFd> lifted;
  lifted.reserve(p.fds->size());
  for (const FdMapping& m : *p.fds) {
    lifted.emplace_back(fcntl(m.parent_fd, F_DUPFD_CLOEXEC, p.high + 1));
    if (!lifted.back()) return ErrnoError("spawn " + argv0 + ": set up descriptors", errno);
  }
  for (size_t i = 0; rc == 0 && i < p.fds->size(); ++i) {
    rc = posix_spawn_file_actions_adddup2(setup.actions(), lifted[i].get(), (*p.fds)[i].child_fd);
  }
  // Everything that is not a target goes, close-on-exec or not.
  for (int fd = 3; rc == 0 && fd < p.high; ++fd) {
    if (!(*p.keep)[static_cast<size_t>(fd)])
      rc = posix_spawn_file_actions_addclose(setup.actions(), fd);
  }
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(setup.actions(), p.high);
  if (rc == 0 && p.cwd != nullptr)
    rc = posix_spawn_file_actions_addchdir_np(setup.actions(), p.cwd);
  if (rc != 0) return ErrnoError("spawn " + argv0 + ": posix_spawn set-up", rc);

  pid_t pid = -1;
  rc = posix_spawn(&pid, p.argv[0], setup.actions(), setup.attr(), p.argv, p.envp);
  if (rc == 0) return pid;
  // posix_spawn reports the errno, not the step: a working directory that
  // is not one is the chdir that failed, as spawn.cc's own child says.
  if (p.cwd != nullptr) {
    struct stat st {};
    const int cwd_err = stat(p.cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (cwd_err != 0) return ErrnoError("cannot start " + argv0 + ": chdir", cwd_err);
  }
  return ErrnoError("cannot execute " + argv0, rc);
}

}  // namespace berth::process::internal
