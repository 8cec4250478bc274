#include "test/integration/harness/berthd_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pkg/fs/mountinfo.h"

namespace berth::testing {

namespace fs = std::filesystem;

void RequireRoot() {
  ASSERT_EQ(geteuid(), 0u) << "integration tests drive runc, mounts and network namespaces "
                              "and must run as root (hack/test.sh runs them as root)";
}

std::string BuiltBinary(const std::string& relative) {
  return std::string(BERTH_BINARY_DIR) + "/" + relative;
}

std::vector<std::string> MountPointsUnder(const std::string& base) {
  std::vector<std::string> below;
  Result<std::vector<MountInfo>> mounts = ReadMountInfo();
  if (!mounts.ok()) return below;
  for (const auto& m : *mounts) {
    if (m.mount_point == base || m.mount_point.starts_with(base + "/")) {
      below.push_back(m.mount_point);
    }
  }
  std::sort(below.begin(), below.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return below;
}

TempDir::TempDir(const std::string& prefix) {
  // $TMPDIR when set: a test that runs another test binary gives it one of
  // its own directories, and so finds and removes whatever that one leaves.
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  // berthd leaves runroot's shared ns mount (and a failed test may leave
  // more) under the directory: detach them, deepest first, so it can go.
  for (const auto& target : MountPointsUnder(path_)) umount2(target.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

int ExitCodeOf(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ProcessResult RunCommand(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  TempDir tmp("berth-cmd");
  std::string out_path = tmp.Sub("out");
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = Spawn(argv, fd);
  close(fd);
  ProcessResult r;
  int status = 0;
  if (!WaitPid(pid, &status, timeout)) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    r.output = "timed out after " + std::to_string(timeout.count()) + "s\n";
  }
  r.exit_code = ExitCodeOf(status);
  r.output += ReadAll(out_path);
  return r;
}

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::seconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

BerthdProcess::BerthdProcess(const BerthdConfig& config) : dir_("berthd-it") {
  socket_ = dir_.Sub("run/berth.sock");
  config_path_ = dir_.Sub("berth.yaml");
  log_path_ = dir_.Sub("berthd.log");
  WriteBerthdConfig(config, dir_.path(), socket_, config_path_);
}

BerthdProcess::~BerthdProcess() {
  if (pid_ > 0) StopWith(SIGKILL, std::chrono::seconds(10));
}

std::vector<std::string> BerthdProcess::Argv(const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {BuiltBinary("cmd/berthd/berthd"), "--config", config_path_};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void BerthdProcess::Start() {
  int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  pid_ = Spawn(Argv({}), fd, env_);
  close(fd);
  // A connection of this channel's own: gRPC otherwise shares one per
  // address across channels, and a berthd killed after its last answer (a
  // crash point after a removal's answer) leaves that one looking ready.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(endpoint(), grpc::InsecureChannelCredentials(), args);
  // The channel connecting is the readiness event; berthd dying first is a failure.
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // checked between connect attempts
      pid_ = -1;
      FAIL() << "berthd exited during start-up:\n" << Log();
    }
    if (channel_->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::milliseconds(200))) {
      break;
    }
    if (std::chrono::system_clock::now() > deadline) FAIL() << "berthd not serving:\n" << Log();
  }
  runtime_ = runtime::v1::RuntimeService::NewStub(channel_);
  image_ = runtime::v1::ImageService::NewStub(channel_);
}

ProcessResult BerthdProcess::RunToExit(const std::vector<std::string>& extra_args) {
  return RunCommand(Argv(extra_args));
}

int BerthdProcess::StopWith(int sig, std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  // Close our connection first: berthd's gRPC server otherwise spends seconds
  // on an idle client's connection while shutting down.
  runtime_.reset();
  image_.reset();
  channel_.reset();
  kill(pid_, sig);
  int status = 0;
  if (!WaitPid(pid_, &status, timeout)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    ADD_FAILURE() << "berthd did not exit within " << timeout.count() << "s of signal " << sig;
  }
  pid_ = -1;
  return ExitCodeOf(status);
}

void BerthdProcess::SetEnv(const std::string& key, const std::string& value) {
  std::erase_if(env_, [&](const auto& kv) { return kv.first == key; });
  if (!value.empty()) env_.emplace_back(key, value);
}

int BerthdProcess::WaitExit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  int status = 0;
  if (!WaitPid(pid_, &status, timeout)) {
    ADD_FAILURE() << "berthd did not exit within " << timeout.count() << "s";
    return -1;
  }
  pid_ = -1;
  return ExitCodeOf(status);
}

namespace {
bool RemovalUnfinished(const std::string& root) {
  for (const char* kind : {"/containers", "/sandboxes"}) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root + kind, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with(".trash-") || std::filesystem::exists(it->path() / ".removing")) {
        return true;
      }
    }
  }
  return false;
}
}  // namespace

bool BerthdProcess::WaitRemovalsFinished(std::chrono::seconds timeout) const {
  // berthd offers no event for it: look at its directories in short steps.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (RemovalUnfinished(dir_.Sub("root"))) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string BerthdProcess::Log() const {
  return ReadAll(log_path_);
}

runtime::v1::RuntimeService::Stub& BerthdProcess::runtime() {
  return *runtime_;
}
runtime::v1::ImageService::Stub& BerthdProcess::image() {
  return *image_;
}

std::string CrictlPath() {
  return std::string(BERTH_SOURCE_DIR) + "/../shared/tools/crictl";
}

ProcessResult RunCrictl(const BerthdProcess& d, const std::vector<std::string>& args,
                        std::chrono::seconds timeout) {
  std::vector<std::string> argv = {CrictlPath(),
                                   "--runtime-endpoint",
                                   d.endpoint(),
                                   "--image-endpoint",
                                   d.endpoint(),
                                   "--timeout",
                                   std::to_string(timeout.count()) + "s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout + std::chrono::seconds(60));
}

}  // namespace berth::testing
