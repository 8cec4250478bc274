// RunToCompletion on Windows (run.cc is the Linux one): the child's stdin,
// stdout and stderr are overlapped pipes, and one thread waits on the child's
// process handle and on whichever pipe operation is in flight, as run.cc
// polls its descriptors. Ending the child is Child's kill (TerminateProcess,
// TerminateJobObject for its group). One difference from Linux: with
// new_process_group (the default) the child's job is closed with the Child
// when this returns, so helpers it left running end then too (Windows has no
// init that would reap them later); without a group they are left alone.
#include <windows.h>

#include <optional>

#include "pkg/base/win32_error.h"
#include "pkg/process/run.h"
#include "pkg/process/run_end.h"
#include "pkg/process/windows/overlapped_pipe.h"

namespace berth::process {
namespace {

using Clock = std::chrono::steady_clock;
using win::ScopedHandle;

// How issuing one ReadFile/WriteFile went.
enum class Issued { kDone, kPending, kEnded, kNothingToDo };

Issued IssueResult(BOOL ok) {
  if (ok) return Issued::kDone;
  // Anything but "pending" is the other end gone: EOF, or the child stopped
  // reading (there is no SIGPIPE to fear on Windows).
  return GetLastError() == ERROR_IO_PENDING ? Issued::kPending : Issued::kEnded;
}

// One pipe of ours with at most one overlapped operation in flight. A
// subclass's destructor calls Close, so that nothing in flight outlives the
// buffer it reads into or writes from.
class PipeIo {
 public:
  virtual ~PipeIo() = default;

  Status Open(ScopedHandle pipe) {
    event_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (event_.get() == nullptr) {
      (void)event_.release();
      return win::Win32Error("create an event for a child's pipe", GetLastError());
    }
    ov_.hEvent = event_.get();
    pipe_ = std::move(pipe);
    return OkStatus();
  }
  bool waiting() const { return pending_; }
  HANDLE event() const { return event_.get(); }

  // Starts operations until one has to wait, or the pipe ends.
  void Pump() {
    while (pipe_ && !pending_) {
      switch (Start(pipe_.get(), &ov_)) {
        case Issued::kDone: {
          DWORD n = 0;
          if (!GetOverlappedResult(pipe_.get(), &ov_, &n, FALSE)) return Close();
          Done(n);
          break;
        }
        case Issued::kPending:
          pending_ = true;
          return;
        case Issued::kEnded:
        case Issued::kNothingToDo:
          return Close();
      }
    }
  }
  // Takes the result of the operation in flight if it has completed, then
  // goes on.
  void Poll() {
    if (!pending_ || WaitForSingleObject(event_.get(), 0) != WAIT_OBJECT_0) return;
    DWORD n = 0;
    if (!GetOverlappedResult(pipe_.get(), &ov_, &n, FALSE)) {
      if (GetLastError() == ERROR_IO_INCOMPLETE) return;
      pending_ = false;
      return Close();
    }
    pending_ = false;
    Done(n);
    Pump();
  }
  // Cancels what is in flight (keeping what it moved already) and closes.
  void Close() {
    if (pending_) {
      CancelIoEx(pipe_.get(), &ov_);
      DWORD n = 0;
      if (GetOverlappedResult(pipe_.get(), &ov_, &n, TRUE)) Done(n);
      pending_ = false;
    }
    pipe_.reset();
  }

 protected:
  // Issues one ReadFile/WriteFile on `ov`.
  virtual Issued Start(HANDLE pipe, OVERLAPPED* ov) = 0;
  // `n` bytes moved by the operation issued last.
  virtual void Done(DWORD n) = 0;

 private:
  ScopedHandle pipe_;
  ScopedHandle event_;
  OVERLAPPED ov_{};
  bool pending_ = false;
};

// One output stream being collected, up to a cap; the rest is read and
// dropped, so the child never blocks on a full pipe.
class Capture : public PipeIo {
 public:
  Capture(std::string* into, bool* truncated, size_t limit)
      : into_(into), truncated_(truncated), limit_(limit) {}
  ~Capture() override { Close(); }

 protected:
  Issued Start(HANDLE pipe, OVERLAPPED* ov) override {
    return IssueResult(ReadFile(pipe, buf_, sizeof(buf_), nullptr, ov));
  }
  void Done(DWORD n) override {
    size_t room = into_->size() < limit_ ? limit_ - into_->size() : 0;
    if (n > room) *truncated_ = true;
    into_->append(buf_, std::min<size_t>(room, n));
  }

 private:
  std::string* into_;
  bool* truncated_;
  size_t limit_;
  char buf_[16384];
};

// The child's stdin being fed; closing it is the child's EOF.
class Feed : public PipeIo {
 public:
  explicit Feed(std::string_view data) : data_(data) {}
  ~Feed() override { Close(); }

 protected:
  Issued Start(HANDLE pipe, OVERLAPPED* ov) override {
    // All written: closing is the child's EOF.
    if (written_ == data_.size()) return Issued::kNothingToDo;
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data_.size() - written_, 1 << 20));
    return IssueResult(WriteFile(pipe, data_.data() + written_, chunk, nullptr, ov));
  }
  void Done(DWORD n) override { written_ += n; }

 private:
  std::string_view data_;
  size_t written_ = 0;
};

DWORD WaitMs(Clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<DWORD>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

}  // namespace

Result<RunResult> RunToCompletion(const RunOptions& options) {
  if (options.argv.empty()) return InvalidArgument("cannot run a process with an empty argv");
  const std::string& argv0 = options.argv[0];
  if (!options.pass_fds.empty()) {
    return InvalidArgument("run " + argv0 +
                           ": a Windows child gets only its standard handles; pass_fds is "
                           "not supported");
  }
  SpawnOptions spawn;
  static_cast<Command&>(spawn) = options;
  spawn.new_process_group = options.new_process_group;
  RunResult result;

  // 1. The child's ends of stdin, stdout and stderr, and ours.
  Feed feed(options.stdin_data);
  ScopedFd in_child;
  if (!options.stdin_data.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto in,
                           internal::MakeOverlappedPipe(internal::PipeDirection::kToChild));
    BERTH_RETURN_IF_ERROR(feed.Open(std::move(in.ours)).WithContext("stdin for " + argv0));
    in_child = std::move(in.child_end);
    spawn.fds.push_back({0, in_child.get()});
  }
  Capture out(&result.out, &result.out_truncated, options.stdout_limit);
  Capture err(&result.err, &result.err_truncated, options.stderr_limit);
  ScopedFd out_child, err_child;
  for (auto [capture, child_end, fd] : {std::tuple{&out, &out_child, 1}, {&err, &err_child, 2}}) {
    const std::string what = std::string(fd == 1 ? "stdout" : "stderr") + " for " + argv0;
    auto pipe = internal::MakeOverlappedPipe(internal::PipeDirection::kFromChild);
    if (!pipe.ok()) return pipe.status().WithContext(what);
    BERTH_RETURN_IF_ERROR(capture->Open(std::move(pipe->ours)).WithContext(what));
    *child_end = std::move(pipe->child_end);
    spawn.fds.push_back({fd, child_end->get()});
  }

  // 2. Start it; only the child holds its ends from now on (so the end of a
  // pipe means the child and whatever it left behind have closed it).
  BERTH_ASSIGN_OR_RETURN(Child child, Spawn(spawn));
  in_child.reset();
  out_child.reset();
  err_child.reset();
  // Our own handle on it, to wait on with the pipes (the Child keeps its
  // own open, so the pid is still this child's).
  ScopedHandle process(OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(child.pid())));
  if (process.get() == nullptr) {
    (void)process.release();
    return win::Win32Error("open " + argv0 + " to wait for it", GetLastError());
  }
  out.Pump();
  err.Pump();
  feed.Pump();

  // 3. Feed and collect until it exits, overflows or runs out of time.
  const Clock::time_point deadline = Clock::now() + options.timeout;
  const std::optional<Clock::time_point> cancel_deadline = options.cancel.deadline();
  std::optional<ExitStatus> status;
  internal::RunEnd end;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(std::optional<internal::RunEnd> ended,
                           internal::CheckRunEnd(child, options, result, deadline, status));
    if (ended) {
      end = *ended;
      break;
    }
    const auto now = Clock::now();
    const auto left = deadline - now;
    HANDLE handles[4];
    DWORD n = 0;
    handles[n++] = process.get();
    for (const PipeIo* io :
         {static_cast<PipeIo*>(&out), static_cast<PipeIo*>(&err), static_cast<PipeIo*>(&feed)}) {
      if (io->waiting()) handles[n++] = io->event();
    }
    auto wait = std::min<Clock::duration>(left, internal::kCancelCheck);
    if (cancel_deadline) wait = std::min<Clock::duration>(wait, *cancel_deadline - now);
    if (WaitForMultipleObjects(n, handles, FALSE, WaitMs(wait)) == WAIT_FAILED) {
      return win::Win32Error("wait for " + argv0, GetLastError());
    }
    out.Poll();
    err.Poll();
    feed.Poll();
  }
  feed.Close();

  // 4. A child that has not ended in time, or whose caller gave up: give
  // on_timeout its chance (to its end: it is cleanup), then kill the child
  // and its group (helpers it started) and reap it.
  BERTH_RETURN_IF_ERROR(internal::EndUnfinishedChild(child, end, options, status));
  // What it wrote before exiting is in the pipes already; helpers it left
  // behind may hold them open, so take what is there and stop.
  out.Poll();
  err.Poll();
  out.Close();
  err.Close();
  return internal::RunOutcome(end, options, *status, std::move(result));
}

}  // namespace berth::process
