// A CRI call's cancellation and deadline reach the child processes it waits
// for (issue 14 item 5): a RunPodSandbox whose client cancels during CNI ADD,
// or whose deadline passes while the runtime creates the infra container,
// kills the plugin or the runtime, undoes everything and leaves nothing; an
// ExecSync whose deadline passes kills the command in the container.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "test/integration/images/image_env.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A process that has exited (or was never there); a zombie is not running.
bool Gone(pid_t pid) {
  std::string st = Slurp("/proc/" + std::to_string(pid) + "/status");
  return st.empty() || st.find("State:\tZ") != std::string::npos;
}

// Pids of processes whose command line is exactly `argv`.
std::vector<pid_t> ProcessesRunning(const std::vector<std::string>& argv) {
  std::string want;
  for (const auto& a : argv) want += a + '\0';
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (Slurp(e.path().string() + "/cmdline") == want) out.push_back(std::stoi(name));
  }
  return out;
}

class CallCancelTest : public RestoreFixture {
 protected:
  void SetUp() override {
    RestoreFixture::SetUp();
    plugins_ = tmp_.Sub("plugins");
    fs::create_directories(plugins_);
  }

  // berthd answers a call only after its handler (and undo) has finished;
  // a client that gave up learns nothing, so the log says when.
  bool HandlerFinished(const std::string& rpc, int nth = 1) {
    return WaitFor(
        [&] {
          const std::string log = d_->Log();
          int seen = 0;
          for (size_t at = log.find("rpc " + rpc + " failed"); at != std::string::npos;
               at = log.find("rpc " + rpc + " failed", at + 1)) {
            ++seen;
          }
          return seen >= nth;
        },
        std::chrono::seconds(30));
  }

  std::string plugins_;
};

// While `block` exists beside it, ADD records its pid and waits for ever
// (after bridge, host-local and portmap did real work); otherwise it passes
// prevResult on.
constexpr char kBlockingPlugin[] =
    "dir=$(dirname \"$0\")\n"
    "if [ \"$CNI_COMMAND\" = ADD ] && [ -f \"$dir/block\" ]; then\n"
    "  echo $$ >\"$dir/blocker.pid\"\n"
    "  exec /bin/sleep 600\n"
    "fi\n"
    "[ \"$CNI_COMMAND\" = ADD ] || { cat >/dev/null; exit 0; }\n"
    "exec /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); "
    "print(json.dumps(c[\"prevResult\"]))'";

TEST_F(CallCancelTest, ClientCancellingDuringCniAddKillsThePluginAndLeavesNothing) {
  WriteScript(plugins_ + "/blocker", kBlockingPlugin);
  std::ofstream(plugins_ + "/block").flush();
  TestNetwork net = MakeNetwork(tmp_.path(), {"blocker"});
  ASSERT_NO_FATAL_FAILURE(StartDaemon(RuncOnlyYaml(), {plugins_}, &net));

  rt::PodSandboxConfig pod = PodConfig("cancelled");
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = pod;
  grpc::ClientContext ctx;  // no deadline: only the cancellation ends it
  auto call = std::async(std::launch::async, [&] {
    rt::RunPodSandboxResponse resp;
    return d_->runtime().RunPodSandbox(&ctx, req, &resp);
  });
  const std::string pid_file = plugins_ + "/blocker.pid";
  ASSERT_TRUE(WaitFor([&] { return !Slurp(pid_file).empty(); }, std::chrono::seconds(60)))
      << d_->Log();
  const pid_t blocker = std::stoi(Slurp(pid_file));
  ctx.TryCancel();
  EXPECT_EQ(call.get().error_code(), grpc::StatusCode::CANCELLED);

  // The plugin is killed (its timeout is a minute away), the call undone.
  EXPECT_TRUE(WaitFor([&] { return Gone(blocker); }, std::chrono::seconds(10)))
      << "CNI plugin " << blocker << " still runs after the client cancelled";
  ASSERT_TRUE(HandlerFinished("RuntimeService.RunPodSandbox")) << d_->Log();
  EXPECT_THAT(d_->Log(), HasSubstr("Canceled"));
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot()});

  // The name is free again.
  fs::remove(plugins_ + "/block");
  std::string id;
  grpc::Status s = Run(pod, &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  ASSERT_TRUE(Remove(id).ok());
  ExpectNoLeaks({RuncRoot()});
}

TEST_F(CallCancelTest, DeadlinePassingInRuntimeCreateKillsConmonAndTheRuntimeAndLeavesNothing) {
  // The create timeout is far away: only the call's deadline can end it.
  ASSERT_NO_FATAL_FAILURE(StartDaemonWithHangingRuntime("10m"));

  rt::PodSandboxConfig pod = PodConfig("deadline");
  auto call = std::async(std::launch::async,
                         [&] { return Run(pod, nullptr, "hanging", std::chrono::seconds(8)); });
  const pid_t hung = WaitForHungCreate();
  ASSERT_GT(hung, 0);
  EXPECT_EQ(call.get().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  EXPECT_TRUE(WaitFor([&] { return Gone(hung); }, std::chrono::seconds(10)))
      << "runtime create process " << hung << " still runs after the deadline";
  ASSERT_TRUE(HandlerFinished("RuntimeService.RunPodSandbox")) << d_->Log();
  EXPECT_TRUE(List().empty());
  ExpectNoLeaks({RuncRoot(), HangingRoot()});
}

TEST_F(CallCancelTest, ExecSyncDeadlineKillsTheCommandInTheContainer) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string pod = RunPodOk("exec-deadline");
  const std::string id = CreateAndStartOk(pod, TermExiting("sleeper"));

  // An unusual duration names the command among the host's processes.
  const std::vector<std::string> command = {"sleep", "6173"};
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& a : command) req.add_cmd(a);
  req.set_timeout(0);  // no timeout of its own: only the call's deadline ends it
  auto call = std::async(std::launch::async, [&] {
    rt::ExecSyncResponse resp;
    return d_->runtime().ExecSync(Ctx(std::chrono::seconds(5)).get(), req, &resp);
  });
  ASSERT_TRUE(WaitFor([&] { return !ProcessesRunning(command).empty(); }, std::chrono::seconds(30)))
      << d_->Log();
  const pid_t exec_pid = ProcessesRunning(command).front();
  EXPECT_EQ(call.get().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  EXPECT_TRUE(WaitFor([&] { return Gone(exec_pid); }, std::chrono::seconds(10)))
      << "the exec'd command " << exec_pid << " still runs after the call's deadline";
  ASSERT_TRUE(HandlerFinished("RuntimeService.ExecSync")) << d_->Log();
  EXPECT_TRUE(ProcessesRunning(command).empty());
  // The exec's process files went with it.
  for (const auto& name : ListDirOrEmpty(RunRoot() + "/containers/" + id)) {
    EXPECT_EQ(name.rfind("exec-", 0), std::string::npos) << name << " is left";
  }
  // The container itself is untouched and still takes execs.
  rt::ExecSyncResponse out;
  grpc::Status s = Exec(id, {"echo", "alive"}, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.stdout(), "alive\n");
}

}  // namespace
}  // namespace berth::testing
