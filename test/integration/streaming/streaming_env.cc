#include "test/integration/streaming/streaming_env.h"

#include "test/integration/harness/loopback_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::testing {

std::unique_ptr<LiveProcess> LiveProcess::OnPipes(const std::vector<std::string>& argv) {
  std::unique_ptr<LiveProcess> p(new LiveProcess());
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) std::abort();
  ScopedFd child_in(in[0]), child_out(out[1]);
  p->input_.reset(in[1]);
  p->output_.reset(out[0]);
  process::SpawnOptions o;
  o.argv = argv;
  o.fds = {{0, child_in.get()}, {1, child_out.get()}, {2, child_out.get()}};
  o.new_process_group = true;
  Result<process::Child> child = process::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().message();
  if (child.ok()) p->child_ = std::move(*child);
  p->StartReader();  // our copies of the child's ends close on return
  return p;
}

std::unique_ptr<LiveProcess> LiveProcess::OnPty(const std::vector<std::string>& argv, int rows,
                                                int cols) {
  std::unique_ptr<LiveProcess> p(new LiveProcess());
  p->pty_ = true;
  int master = -1, slave = -1;
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (openpty(&master, &slave, nullptr, nullptr, &ws) != 0) std::abort();
  fcntl(master, F_SETFD, FD_CLOEXEC);
  fcntl(slave, F_SETFD, FD_CLOEXEC);
  ScopedFd child_end(slave);
  p->output_.reset(master);
  p->input_.reset(fcntl(master, F_DUPFD_CLOEXEC, 0));
  process::SpawnOptions o;
  o.argv = argv;
  o.fds = {{0, slave}, {1, slave}, {2, slave}};
  o.new_session = true;
  o.controlling_tty = 0;
  Result<process::Child> child = process::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().message();
  if (child.ok()) p->child_ = std::move(*child);
  p->StartReader();
  return p;
}

LiveProcess::~LiveProcess() {
  child_ = process::Child();  // kills (with its group) and reaps one still running
  // With the program gone its ends are closed: the reader sees EOF (pipe)
  // or EIO (pty) and returns.
  input_.reset();
  if (reader_.joinable()) reader_.join();
}

void LiveProcess::StartReader() {
  reader_ = std::thread([this] {
    char buf[16 * 1024];
    while (true) {
      ssize_t n = read(output_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: a pty whose last slave closed
      std::lock_guard lock(mu_);
      out_.append(buf, static_cast<size_t>(n));
      changed_.notify_all();
    }
    std::lock_guard lock(mu_);
    ended_ = true;
    changed_.notify_all();
  });
}

bool LiveProcess::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(input_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void LiveProcess::CloseInput() {
  input_.reset();
}

void LiveProcess::Resize(int rows, int cols) {
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  EXPECT_EQ(ioctl(output_.get(), TIOCSWINSZ, &ws), 0) << strerror(errno);
}

bool LiveProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return out_.find(text) != std::string::npos || ended_;
  }) && out_.find(text) != std::string::npos;
}

std::string LiveProcess::Output() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::optional<process::ExitStatus> LiveProcess::WaitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Result<std::optional<process::ExitStatus>> r = child_.WaitFor(deadline);
  if (!r.ok() || !r->has_value()) return std::nullopt;
  // The program is gone; what it wrote last is still on its way to the reader.
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return ended_; });
  return **r;
}

void StreamingTest::SetUp() {
  // A client that exits while the test writes to it must fail the test, not
  // end the process.
  signal(SIGPIPE, SIG_IGN);
  RestoreFixture::SetUp();
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
}

std::vector<std::string> StreamingTest::Crictl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {
      CrictlPath(),   "--runtime-endpoint", d_->endpoint(), "--image-endpoint",
      d_->endpoint(), "--timeout",          "60s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

process::RunResult StreamingTest::RunCrictlWithInput(const std::vector<std::string>& args,
                                                     const std::string& input) {
  process::RunOptions o;
  o.argv = Crictl(args);
  o.stdin_data = input;
  o.timeout = std::chrono::seconds(90);
  Result<process::RunResult> r = process::RunToCompletion(o);
  if (!r.ok()) {
    ADD_FAILURE() << "crictl " << args.front() << ": " << r.status().message();
    return {};
  }
  return *r;
}

std::string StreamingTest::StartShell(const std::string& pod_name, const std::string& script,
                                      bool host_network, std::string* pod_id) {
  std::string pod = RunPodOk(pod_name, host_network);
  if (pod_id) *pod_id = pod;
  return CreateAndStartOk(pod, Config(pod_name + "-sh", {"/bin/sh", "-c", script}));
}

std::string StreamingTest::StartWebServer(const std::string& pod_name, const std::string& listen,
                                          int port, bool host_network, std::string* pod_id) {
  const std::string id = StartShell(pod_name,
                                    "mkdir -p /tmp/www && echo page-from-pod > /tmp/www/index.html"
                                    " && exec httpd -f -p " +
                                        listen + " -h /tmp/www",
                                    host_network, pod_id);
  // httpd has no readiness signal: ask it (ExecSync of wget inside) until it
  // answers, against a deadline.
  rt::ExecSyncResponse out;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  EXPECT_TRUE(WaitFor(
      [&] {
        out.Clear();
        return Exec(id, {"wget", "-q", "-O", "-", url}, &out).ok() && out.stdout() == kPage;
      },
      std::chrono::seconds(30)))
      << "httpd on port " << port << " never answered: " << out.stderr();
  return id;
}

std::string StreamingTest::ProcessList(const std::string& container_id) {
  rt::ExecSyncResponse out;
  grpc::Status s = Exec(container_id, {"ps", "-o", "pid,args"}, &out);
  EXPECT_TRUE(s.ok() && out.exit_code() == 0) << s.error_message() << out.stderr();
  return out.stdout();
}

bool StreamingTest::ShellSeesTerminalSize(LiveProcess& crictl, const std::string& size) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    crictl.Write("stty size\n");
    if (crictl.WaitForOutput("\n" + size + "\r", std::chrono::seconds(3))) return true;
  }
  return false;
}

void StreamingTest::ExpectExecEndsWhenItsClientIsKilled(const std::string& id) {
  const std::string marker = "sleep " + std::to_string(2000 + getpid() % 50000);
  auto crictl = LiveProcess::OnPipes(Crictl({"exec", id, "sh", "-c", marker}));
  ASSERT_TRUE(WaitFor([&] { return ProcessList(id).find(marker) != std::string::npos; },
                      std::chrono::seconds(30)))
      << "the exec never started:\n"
      << crictl->Output() << ProcessList(id);
  ASSERT_TRUE(crictl->child().Signal(SIGKILL).ok());
  ASSERT_TRUE(crictl->WaitExit(std::chrono::seconds(30)).has_value());
  EXPECT_TRUE(WaitFor([&] { return ProcessList(id).find(marker) == std::string::npos; },
                      std::chrono::seconds(15)))
      << "still running in container " << id << " after its client died:\n"
      << ProcessList(id);
}

void StreamingTest::CleanUpAndExpectNoLeaks() {
  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

int UnusedLoopbackPort() {
  const int port = FreeLoopbackPort();
  if (port < 0) std::abort();
  return port;
}

int UrlPort(const std::string& url) {
  const size_t host = url.find("://") + 3;
  const size_t colon = url.find(':', host), slash = url.find('/', host);
  if (colon >= slash) return -1;
  return std::stoi(url.substr(colon + 1, slash - colon - 1));
}

ProcessResult CurlLoopback(int port, const std::string& path) {
  return RunCommand({"/usr/bin/curl", "-sS", "--max-time", "10",
                     "http://127.0.0.1:" + std::to_string(port) + "/" + path});
}

}  // namespace berth::testing
