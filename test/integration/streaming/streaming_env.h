// The streaming tests' environment: the restore tests' berthd (a private
// bridge network per test, runc alone with its own state root, the busybox
// test image pulled) and its leak census, plus what driving upstream crictl
// interactively needs: a program running on pipes or on a pty of a given
// size, whose output the test waits on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pkg/fs/scoped_fd.h"
#include "pkg/process/run.h"
#include "pkg/process/spawn.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {

// A program running in the background: its input is a pipe or a pty, its
// stdout and stderr together are collected by a thread. Destroying it kills
// the program (SIGKILL) and reaps it.
class LiveProcess {
 public:
  // stdin on a pipe (Write, CloseInput), stdout and stderr on another.
  static std::unique_ptr<LiveProcess> OnPipes(const std::vector<std::string>& argv);
  // The program leads a new session whose controlling terminal is a fresh
  // pty of `rows` x `cols`, on its stdin, stdout and stderr.
  static std::unique_ptr<LiveProcess> OnPty(const std::vector<std::string>& argv, int rows,
                                            int cols);
  ~LiveProcess();

  bool Write(std::string_view data);
  // Pipes: the program reads end of file.
  void CloseInput();
  // Pty: sets the terminal's size (the program gets SIGWINCH).
  void Resize(int rows, int cols);
  // Waits until the output holds `text` (true), or it ended or `timeout`
  // passed without it (false).
  bool WaitForOutput(const std::string& text,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string Output() const;
  // nullopt: still running after `timeout`.
  std::optional<process::ExitStatus> WaitExit(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  process::Child& child() { return child_; }

 private:
  LiveProcess() = default;
  void StartReader();

  process::Child child_;
  ScopedFd input_;   // pipe write end, or the pty master (shared with output_)
  ScopedFd output_;  // read by reader_
  bool pty_ = false;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string out_;     // guarded by mu_
  bool ended_ = false;  // the output reached its end; guarded by mu_
};

class StreamingTest : public RestoreFixture {
 protected:
  // berthd on a fresh private network with the busybox image pulled.
  void SetUp() override;

  // argv of upstream crictl against this berthd (runtime and image endpoint,
  // crictl's own --timeout), followed by `args`.
  std::vector<std::string> Crictl(const std::vector<std::string>& args) const;
  // Runs crictl to completion with `input` on its stdin; stdout and stderr
  // apart.
  process::RunResult RunCrictlWithInput(const std::vector<std::string>& args,
                                        const std::string& input);

  // A pod (on the test network, or the host's) with one started busybox
  // container running `script` under sh -c; returns the container's ID.
  std::string StartShell(const std::string& pod_name, const std::string& script,
                         bool host_network = false, std::string* pod_id = nullptr);
  // StartShell with busybox httpd serving "page-from-pod\n" at / on `listen`
  // ([ip:]port), once it answers on the container's loopback at `port`.
  std::string StartWebServer(const std::string& pod_name, const std::string& listen, int port,
                             bool host_network, std::string* pod_id);
  // The `ps -o pid,args` listing inside a container (ExecSync), or "" and a
  // test failure.
  std::string ProcessList(const std::string& container_id);

  // What the kubelet does when it is done, then the full leak census.
  void CleanUpAndExpectNoLeaks();

  // Whether the shell on `crictl`'s terminal reports the size `rows cols`
  // ("37 91") to `stty size`. The size travels on a stream of its own, apart
  // from what is typed, so the first answers may predate it: asked again, at
  // most 5 times.
  static bool ShellSeesTerminalSize(LiveProcess& crictl, const std::string& size);
  // Runs, through crictl exec on pipes, a `sleep` with a duration no other
  // process in container `id` has; once it runs there, SIGKILLs crictl and
  // expects the command to end in the container within 15 s.
  void ExpectExecEndsWhenItsClientIsKilled(const std::string& id);
};

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound with
// port 0 and released: a later bind may still race with another program).
int UnusedLoopbackPort();

// The TCP port of a streaming URL (http://127.0.0.1:<port>/...).
int UrlPort(const std::string& url);

inline constexpr char kPage[] = "page-from-pod\n";

// curl http://127.0.0.1:<port>/<path> (10 s at most); the body, or the exit
// code and error in `result.exit_code` / `result.output`.
ProcessResult CurlLoopback(int port, const std::string& path = "");

}  // namespace berth::testing
