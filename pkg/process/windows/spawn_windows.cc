// Spawn on Windows: CreateProcessW with an explicit list of inherited handles
// (spawn.cc is the Linux one).
//
// What the child gets, and the decisions Windows forces:
// - Its standard handles, exactly: child fd 0, 1, 2 of the FdMapping become
//   hStdInput/Output/Error (the parent's C runtime descriptor through
//   _get_osfhandle), NUL when not mapped. PROC_THREAD_ATTRIBUTE_HANDLE_LIST
//   limits inheritance to those, so a handle another thread made inheritable
//   meanwhile does not leak in.
// - No other descriptor by number: a Windows child has no descriptor table to
//   place them in (only C runtime children read the undocumented lpReserved2
//   table), so a child fd above 2 is InvalidArgument naming it.
// - No controlling terminal (that is ConPTY on Windows): Unimplemented.
// - A process group (new_process_group or new_session) is a job object with
//   KILL_ON_JOB_CLOSE, the child assigned to it before it runs a single
//   instruction (created suspended), so that everything it starts is in it.
// - ForkRun runs a function in a copy of the daemon: Windows has no fork.
#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <set>

#include "pkg/base/win32_error.h"
#include "pkg/fs/windows/scoped_handle.h"
#include "pkg/process/child_state.h"
#include "pkg/process/spawn.h"
#include "pkg/process/windows/command_line.h"

namespace berth::process {
namespace {

using win::ScopedHandle;

Status Validate(const SpawnOptions& o) {
  if (o.argv.empty()) return InvalidArgument("cannot run a process with an empty argv");
  const std::string what = "spawn " + o.argv[0];
  std::set<int> targets;
  for (const FdMapping& m : o.fds) {
    if (m.child_fd < 0 || m.parent_fd < 0) {
      return InvalidArgument(what + ": negative descriptor in the fd map");
    }
    if (m.child_fd > 2) {
      return InvalidArgument(what + ": child fd " + std::to_string(m.child_fd) +
                             ": a Windows child gets only its standard handles (0-2) by number");
    }
    if (!targets.insert(m.child_fd).second) {
      return InvalidArgument(what + ": child fd " + std::to_string(m.child_fd) +
                             " is mapped twice");
    }
  }
  if (o.controlling_tty >= 0) {
    return Unimplemented(what +
                         ": a controlling terminal is a Linux concept (on Windows, a pseudo "
                         "console: ConPTY)");
  }
  return OkStatus();
}

// An inheritable duplicate of a handle of ours, for one child only.
Result<ScopedHandle> InheritableCopy(HANDLE h, const std::string& what) {
  HANDLE copy = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &copy, 0, TRUE,
                       DUPLICATE_SAME_ACCESS)) {
    return win::Win32Error(what, GetLastError());
  }
  return ScopedHandle(copy);
}

// The child's three standard handles, inheritable copies of the mapped
// descriptors' handles or of one NUL handle.
struct StdHandles {
  ScopedHandle null_device;
  ScopedHandle std[3];

  Status Fill(const SpawnOptions& o) {
    const std::string what = "spawn " + o.argv[0];
    for (const FdMapping& m : o.fds) {
      auto h = reinterpret_cast<HANDLE>(_get_osfhandle(m.parent_fd));
      if (h == INVALID_HANDLE_VALUE) {
        return InvalidArgument(what + ": parent fd " + std::to_string(m.parent_fd) +
                               " (for child fd " + std::to_string(m.child_fd) + ") is not open");
      }
      BERTH_ASSIGN_OR_RETURN(std[m.child_fd], InheritableCopy(h, what + ": duplicate parent fd " +
                                                                     std::to_string(m.parent_fd)));
    }
    for (ScopedHandle& h : std) {
      if (h) continue;
      if (!null_device) {
        SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
        null_device.reset(CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING,
                                      0, nullptr));
        if (!null_device) return win::Win32Error(what + ": open NUL", GetLastError());
      }
    }
    return OkStatus();
  }
  HANDLE Get(int fd) const { return std[fd] ? std[fd].get() : null_device.get(); }
  // Each handle once: CreateProcess refuses a list that repeats one.
  std::vector<HANDLE> List() const {
    std::vector<HANDLE> list;
    if (null_device) list.push_back(null_device.get());
    for (const ScopedHandle& h : std)
      if (h) list.push_back(h.get());
    return list;
  }
};

// The attribute list that carries PROC_THREAD_ATTRIBUTE_HANDLE_LIST; `handles`
// must outlive it.
class HandleListAttribute {
 public:
  Status Init(std::vector<HANDLE>& handles, const std::string& what) {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    storage_.resize(size);
    auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
    if (!InitializeProcThreadAttributeList(list, 1, 0, &size)) {
      return win::Win32Error(what + ": InitializeProcThreadAttributeList", GetLastError());
    }
    initialized_ = true;
    if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.data(),
                                   handles.size() * sizeof(HANDLE), nullptr, nullptr)) {
      return win::Win32Error(what + ": set the inherited handle list", GetLastError());
    }
    return OkStatus();
  }
  ~HandleListAttribute() {
    if (initialized_) DeleteProcThreadAttributeList(get());
  }
  LPPROC_THREAD_ATTRIBUTE_LIST get() {
    return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
  }

 private:
  std::vector<char> storage_;
  bool initialized_ = false;
};

Result<ScopedHandle> MakeKillOnCloseJob(const std::string& what) {
  HANDLE job = CreateJobObjectW(nullptr, nullptr);
  if (job == nullptr) return win::Win32Error(what + ": CreateJobObject", GetLastError());
  ScopedHandle owned(job);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
    return win::Win32Error(what + ": set the job's kill-on-close", GetLastError());
  }
  return owned;
}

// CreateProcess reports a missing working directory as it would a missing
// program; tell them apart as Linux's "chdir" step does.
Status CheckWorkingDirectory(const std::wstring& cwd, const std::string& argv0) {
  DWORD attrs = GetFileAttributesW(cwd.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) {
    return Internal("cannot start " + argv0 + ": chdir: " + win::Win32ErrorText(GetLastError()));
  }
  if ((attrs & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    return Internal("cannot start " + argv0 + ": chdir: " + win::Win32ErrorText(ERROR_DIRECTORY));
  }
  return OkStatus();
}

}  // namespace

Result<Child> internal::StartChild(const SpawnOptions& options, const std::function<int()>* body) {
  BERTH_RETURN_IF_ERROR(Validate(options));
  const std::string& argv0 = options.argv[0];
  const std::string what = "spawn " + argv0;
  if (body != nullptr) {
    return Unimplemented("run a function as process " + argv0 +
                         ": Windows has no fork; start a program with Spawn");
  }
  // 1. What the child runs with.
  BERTH_ASSIGN_OR_RETURN(std::wstring app, win::Utf8ToWide(argv0));
  BERTH_ASSIGN_OR_RETURN(std::wstring command_line, BuildCommandLine(options.argv));
  BERTH_ASSIGN_OR_RETURN(std::wstring env, BuildEnvironmentBlock(options));
  std::wstring cwd;
  if (!options.cwd.empty()) {
    BERTH_ASSIGN_OR_RETURN(cwd, win::Utf8ToWide(options.cwd));
    BERTH_RETURN_IF_ERROR(CheckWorkingDirectory(cwd, argv0));
  }
  // 2. Exactly the handles it inherits.
  StdHandles std_handles;
  BERTH_RETURN_IF_ERROR(std_handles.Fill(options));
  std::vector<HANDLE> inherited = std_handles.List();
  HandleListAttribute attribute;
  BERTH_RETURN_IF_ERROR(attribute.Init(inherited, what));
  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof(si);
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = std_handles.Get(0);
  si.StartupInfo.hStdOutput = std_handles.Get(1);
  si.StartupInfo.hStdError = std_handles.Get(2);
  si.lpAttributeList = attribute.get();

  // 3. Its group, a job it joins before it runs.
  const bool group = options.new_process_group || options.new_session;
  ScopedHandle job;
  if (group) {
    BERTH_ASSIGN_OR_RETURN(job, MakeKillOnCloseJob(what));
  }

  // 4. Start it. CREATE_NO_WINDOW: a console child of a service would
  // otherwise get a console of its own; its standard handles are the ones above.
  DWORD flags = CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT | CREATE_NO_WINDOW;
  if (group) flags |= CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP;
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(app.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags, env.data(),
                      cwd.empty() ? nullptr : cwd.c_str(), &si.StartupInfo, &pi)) {
    return Internal("cannot execute " + argv0 + ": " + win::Win32ErrorText(GetLastError()));
  }
  ScopedHandle thread(pi.hThread);
  auto state = std::make_unique<Child::State>();
  state->pid = static_cast<pid_t>(pi.dwProcessId);
  state->process.reset(pi.hProcess);
  state->group = group;
  state->argv0 = argv0;
  if (group) {
    if (!AssignProcessToJobObject(job.get(), pi.hProcess)) {
      const DWORD err = GetLastError();
      TerminateProcess(pi.hProcess, kKilledExitCode);  // never ran; the Child reaps it
      return win::Win32Error(what + ": put it in its job", err);
    }
    state->job = std::move(job);
    if (ResumeThread(pi.hThread) == static_cast<DWORD>(-1)) {
      const DWORD err = GetLastError();
      TerminateJobObject(state->job.get(), kKilledExitCode);
      return win::Win32Error(what + ": resume it", err);
    }
  }
  return Child(std::move(state));
}

Result<Child> Spawn(const SpawnOptions& options) {
  return internal::StartChild(options, nullptr);
}

Result<Child> ForkRun(const SpawnOptions& options, const std::function<int()>& body) {
  return internal::StartChild(options, &body);
}

}  // namespace berth::process
