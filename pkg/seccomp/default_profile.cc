// RuntimeDefaultProfile: the built-in profile.
//
// The policy: refuse by default with EPERM, allow the syscalls ordinary
// programs make, and allow the privileged families (mounting, namespaces,
// tracing, modules, clocks, ...) only to containers holding the capability
// the kernel would check anyway, so the filter removes kernel attack surface
// without breaking what a capability was granted for. Never allowed at all:
// the keyring (keyctl, add_key, request_key), kexec, swap, io_uring, and
// obsolete interfaces (uselib, ustat, sysfs, _sysctl, nfsservctl, vm86, ...).
#include <seccomp.h>

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "pkg/seccomp/capability_set.h"
#include "pkg/seccomp/libseccomp_names.h"
#include "pkg/seccomp/seccomp_profile.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;

// Allowed for every container. Names of other architectures (socketcall,
// _llseek, arch_prctl, set_tls, ...) are harmless on this one: libseccomp
// skips a rule for a syscall an architecture does not have.
// Grouped by topic, several names a line.
// clang-format off
constexpr std::string_view kAlwaysAllowed[] = {
    // files and directories
    "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range",
    "creat", "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "flock", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
    "getdents64", "lchown", "lchown32", "link", "linkat", "_llseek", "lseek", "lstat", "lstat64",
    "mkdir", "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat",
    "openat2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "rename", "renameat", "renameat2", "rmdir",
    "sendfile", "sendfile64", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "tee", "truncate", "truncate64", "umask",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vmsplice", "write",
    "writev", "cachestat",
    // extended attributes
    "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "lgetxattr", "listxattr",
    "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "setxattr",
    // file and process notification, polling, events
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
    "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "fanotify_mark", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "_newselect", "pause", "poll", "ppoll",
    "ppoll_time64", "pselect6", "pselect6_time64", "select", "signalfd", "signalfd4",
    // asynchronous I/O (io_uring is left out: too much kernel surface)
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
    "io_submit", "ioprio_get", "ioprio_set",
    // memory
    "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "msync", "munlock",
    "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
    // processes, threads, credentials
    "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "getcpu", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getresgid", "getresgid32",
    "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
    "get_thread_area", "gettid", "getuid", "getuid32", "kill", "pidfd_open", "pidfd_send_signal",
    "prctl", "prlimit64", "process_mrelease", "restart_syscall", "rseq", "seccomp", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "tgkill", "tkill", "ugetrlimit",
    "vfork", "wait4", "waitid", "waitpid",
    // scheduling
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield",
    // signals
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sigaltstack", "sigprocmask", "sigreturn",
    // futexes
    "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
    // time (reading clocks; setting them is CAP_SYS_TIME below)
    "adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "getitimer",
    "gettimeofday", "nanosleep", "setitimer", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times",
    // sockets ("socket" itself is allowed below with an argument filter)
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
    "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg",
    "sendto", "setsockopt", "shutdown", "socketcall", "socketpair",
    // System V and POSIX IPC
    "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt",
    "shmget",
    // sandboxing a process may do to itself
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    // system information, devices
    "getrandom", "ioctl", "sysinfo", "uname",
    // architecture specific
    "arch_prctl", "modify_ldt",  // x86
    "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls",  // arm
    "sync_file_range2", "riscv_flush_icache",
};
// clang-format on

// Syscalls allowed when the container holds any of `capabilities`.
struct CapabilityGroup {
  std::initializer_list<std::string_view> capabilities;
  std::initializer_list<std::string_view> syscalls;
};

const CapabilityGroup kCapabilityGated[] = {
    {{"CAP_SYS_ADMIN"},
     {"clone",      "clone3",         "fanotify_init", "fsconfig",      "fsmount",     "fsopen",
      "fspick",     "lookup_dcookie", "mount",         "mount_setattr", "move_mount",  "open_tree",
      "pivot_root", "quotactl",       "quotactl_fd",   "setdomainname", "sethostname", "setns",
      "umount",     "umount2",        "unshare"}},
    {{"CAP_SYS_ADMIN", "CAP_BPF"}, {"bpf"}},
    {{"CAP_SYS_ADMIN", "CAP_PERFMON"}, {"perf_event_open"}},
    {{"CAP_SYS_ADMIN", "CAP_SYSLOG"}, {"syslog"}},
    {{"CAP_SYS_BOOT"}, {"reboot"}},
    {{"CAP_SYS_CHROOT"}, {"chroot"}},
    {{"CAP_SYS_MODULE"}, {"delete_module", "init_module", "finit_module"}},
    {{"CAP_SYS_PACCT"}, {"acct"}},
    {{"CAP_SYS_PTRACE"},
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace",
      "userfaultfd"}},
    {{"CAP_SYS_RAWIO"}, {"iopl", "ioperm"}},
    {{"CAP_SYS_TIME"}, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {{"CAP_SYS_TTY_CONFIG"}, {"vhangup"}},
    {{"CAP_SYS_NICE"}, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {{"CAP_DAC_READ_SEARCH"}, {"open_by_handle_at"}},
};

// Every namespace flag clone(2) accepts (CLONE_NEWNS, NEWCGROUP, NEWUTS,
// NEWIPC, NEWUSER, NEWPID, NEWNET). CLONE_NEWTIME shares its bit with the
// exit-signal byte of clone(2), so only unshare(2)/clone3(2) take it, and
// both are refused without CAP_SYS_ADMIN.
constexpr uint64_t kCloneNamespaceFlags =
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

// personality(2) values ordinary programs use: PER_LINUX, UNAME26,
// PER_LINUX32, PER_LINUX32|UNAME26, and 0xffffffff (query only).
constexpr uint64_t kPersonalities[] = {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff};

constexpr uint64_t kAfVsock = 40;  // host <-> guest sockets: no business of a container
constexpr unsigned kEnosys = 38;   // clone3 "not implemented": libc falls back to clone

bool Holds(const CapabilitySet& caps, std::initializer_list<std::string_view> any_of) {
  for (std::string_view cap : any_of) {
    if (caps.Has(cap)) return true;
  }
  return false;
}

json Arg(unsigned index, uint64_t value, uint64_t value_two, std::string_view op) {
  return json{{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

json Rule(std::string_view name, std::string_view action, json args) {
  json rule = {{"names", json::array({name})}, {"action", action}};
  if (!args.empty()) rule["args"] = std::move(args);
  return rule;
}

// s390 passes clone's flags second (the stack comes first).
unsigned CloneFlagsIndex() {
  const std::string native = NativeArchName();
  return native == "SCMP_ARCH_S390X" || native == "SCMP_ARCH_S390" ? 1 : 0;
}

}  // namespace

nlohmann::json RuntimeDefaultProfile(const std::vector<std::string>& capabilities) {
  const CapabilitySet caps(capabilities);

  // 1. Plain allows: the base list plus what granted capabilities open,
  //    minus names the local libseccomp (and so runc) would not know.
  std::set<std::string> allowed;
  auto add_known = [&](std::string_view name) {
    if (IsKnownSyscall(name)) allowed.emplace(name);
  };
  for (std::string_view name : kAlwaysAllowed) add_known(name);
  for (const CapabilityGroup& group : kCapabilityGated) {
    if (!Holds(caps, group.capabilities)) continue;
    for (std::string_view name : group.syscalls) add_known(name);
  }

  json syscalls = json::array();
  syscalls.push_back({{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}});

  // 2. clone without namespace flags, and clone3 answered ENOSYS because its
  //    flags sit in memory a filter cannot read; CAP_SYS_ADMIN allowed both in 1.
  if (!caps.Has("CAP_SYS_ADMIN")) {
    syscalls.push_back(
        Rule("clone", "SCMP_ACT_ALLOW",
             json::array({Arg(CloneFlagsIndex(), kCloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ")})));
    if (IsKnownSyscall("clone3")) {
      json clone3 = Rule("clone3", "SCMP_ACT_ERRNO", json::array());
      clone3["errnoRet"] = kEnosys;
      syscalls.push_back(std::move(clone3));
    }
  }

  // 3. personality: one rule per value, as one rule ANDs its conditions.
  for (uint64_t persona : kPersonalities) {
    syscalls.push_back(
        Rule("personality", "SCMP_ACT_ALLOW", json::array({Arg(0, persona, 0, "SCMP_CMP_EQ")})));
  }

  // 4. socket for every address family but AF_VSOCK.
  syscalls.push_back(
      Rule("socket", "SCMP_ACT_ALLOW", json::array({Arg(0, kAfVsock, 0, "SCMP_CMP_NE")})));

  json profile = {
      {"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 1u},  // EPERM
  };
  const std::vector<std::string> arches = NativeArchitectures();
  if (!arches.empty()) profile["architectures"] = arches;
  profile["syscalls"] = std::move(syscalls);
  return profile;
}

}  // namespace berth::seccomp
