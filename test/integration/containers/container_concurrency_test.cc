// Concurrency of container calls on a real berthd: a CreateContainer held
// inside the OCI runtime (test/testdata/runtimes/slow-create-runtime, routed to
// one pod by its runtime_handler) blocks neither creates in other pods nor
// List/Status; the kubelet's retry of the held call is told it is still being
// created and later gets the same ID; ten containers created and started at
// once in one pod all run and are all removed cleanly.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <set>
#include <sstream>
#include <thread>

#include "test/integration/containers/container_env.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct OnExit {
  std::function<void()> fn;
  ~OnExit() { fn(); }
};

// The gate of slow-create-runtime: the test holds the release fifo open
// read-write, so the script's reader never waits for a writer, a line written
// releases one held create, and closing it releases every one.
class Gate {
 public:
  explicit Gate(std::string dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    EXPECT_EQ(mkfifo((dir_ + "/release").c_str(), 0600), 0) << strerror(errno);
    fd_ = open((dir_ + "/release").c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd_, 0) << strerror(errno);
  }
  ~Gate() { Open(); }
  const std::string& dir() const { return dir_; }
  // Bundles of the creates that reached the runtime, in order.
  std::vector<std::string> Arrived() const {
    std::vector<std::string> out;
    std::istringstream in(Slurp(dir_ + "/arrived"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  void ReleaseOne() { ASSERT_EQ(write(fd_, "go\n", 3), 3) << strerror(errno); }
  // Releases whatever is held and holds nothing from now on.
  void Open() {
    std::ofstream(dir_ + "/closed").flush();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  std::string dir_;
  int fd_ = -1;
};

class ContainerConcurrencyTest : public ContainerTest {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
    gate_ = std::make_unique<Gate>(tmp_.Sub("gate"));
    // The runtime entry "slow" is a wrapper naming the gate, then the script.
    const std::string wrapper = tmp_.Sub("slow-runtime");
    std::ofstream(wrapper) << "#!/bin/sh\nBERTH_TEST_GATE_DIR=" << gate_->dir() << " exec "
                           << BERTH_SOURCE_DIR << "/test/testdata/runtimes/slow-create-runtime"
                           << " \"$@\"\n";
    ASSERT_EQ(chmod(wrapper.c_str(), 0755), 0);
    d_ = std::make_unique<BerthdProcess>(
        ImageEnv::RegistriesYaml() + "runtimes: {runc: {root: " + RuncRoot() +
        "}, slow: {path: " + wrapper + ", root: " + tmp_.Sub("slow-root") + "}}\n");
    runtime_roots_.push_back(tmp_.Sub("slow-root"));
    ASSERT_NO_FATAL_FAILURE(d_->Start());
    Reply<rt::PullImageResponse> pulled = cri().PullImage(BusyboxRef());
    ASSERT_TRUE(pulled.ok()) << pulled.status.error_message();
  }
  void TearDown() override {
    if (gate_) gate_->Open();  // a held create would keep its pod from being removed
    ContainerTest::TearDown();
    // Nothing the slow runtime made is left in its root.
    std::string left =
        RunCommand({"/usr/sbin/runc", "--root", tmp_.Sub("slow-root"), "list", "-q"}).output;
    EXPECT_EQ(left, "") << "containers left in the slow runtime's root";
  }

  // A host-network pod on runtime `handler`.
  std::string RunPodOn(const std::string& name, const std::string& handler) {
    rt::RunPodSandboxRequest req;
    rt::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("default");
    c->mutable_metadata()->set_uid("uid-" + name);
    c->set_log_directory(log_dir());
    c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        rt::NODE);
    req.set_runtime_handler(handler);
    rt::RunPodSandboxResponse resp;
    grpc::Status s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
    return resp.pod_sandbox_id();
  }

  grpc::Status CreateWithin(const std::string& pod, const rt::ContainerConfig& c, std::string* id,
                            std::chrono::seconds timeout) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_config() = c;
    rt::CreateContainerResponse resp;
    grpc::Status s = d_->runtime().CreateContainer(Ctx(timeout).get(), req, &resp);
    if (id) *id = resp.container_id();
    return s;
  }

  // Starts a create in `pod` that the slow runtime holds; returns once it is
  // held, with the container's ID (its bundle's name).
  std::future<std::pair<grpc::Status, std::string>> HeldCreate(const std::string& pod,
                                                               const rt::ContainerConfig& c,
                                                               std::string* held_id) {
    const size_t before = gate_->Arrived().size();
    auto call = std::async(std::launch::async, [this, pod, c] {
      std::string id;
      grpc::Status s = CreateWithin(pod, c, &id, std::chrono::seconds(120));
      return std::make_pair(s, id);
    });
    bool held = WaitFor([&] { return gate_->Arrived().size() > before; }, std::chrono::seconds(60));
    EXPECT_TRUE(held) << "the create never reached the slow runtime\n" << d_->Log();
    if (held) *held_id = fs::path(gate_->Arrived().back()).filename();
    return call;
  }

  std::unique_ptr<Gate> gate_;
};

TEST_F(ContainerConcurrencyTest, HeldCreateBlocksNeitherOtherPodsNorListAndStatus) {
  const std::string slow_pod = RunPodOn("slowpod", "slow");
  const std::string fast_pod = RunPod("fastpod");
  ASSERT_FALSE(slow_pod.empty());
  ASSERT_FALSE(fast_pod.empty());
  const std::string before = CreateAndStart(fast_pod, Config("before", {"/bin/sleep", "3600"}));

  std::string held_id;
  auto held = HeldCreate(slow_pod, Config("held", {"/bin/sleep", "3600"}), &held_id);
  OnExit release{[&] { gate_->Open(); }};  // before `held` is waited for on the way out
  ASSERT_EQ(held_id.size(), 64u);

  // A create and start in another pod complete while the first is held (the
  // deadline is below the gate's own 40 s limit, so waiting for the held call
  // cannot pass).
  std::string during;
  grpc::Status s = CreateWithin(fast_pod, Config("during", {"/bin/sleep", "3600"}), &during,
                                std::chrono::seconds(30));
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Start(during).ok());
  EXPECT_EQ(held.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the held create returned: the gate did not hold it";

  // List and Status answer at once (a short deadline: blocking on the held
  // create would be DEADLINE_EXCEEDED).
  const auto quick = std::chrono::seconds(3);
  rt::ListContainersResponse list;
  s = d_->runtime().ListContainers(Ctx(quick).get(), {}, &list);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::set<std::string> listed;
  for (const auto& c : list.containers()) listed.insert(c.id());
  EXPECT_EQ(listed, (std::set<std::string>{before, during}))
      << "a container still being created is not listed";
  for (const std::string& id : {before, during, held_id}) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    s = d_->runtime().ContainerStatus(Ctx(quick).get(), req, &resp);
    EXPECT_NE(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << "status of " << id;
    if (id != held_id) {
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(resp.status().state(), rt::CONTAINER_RUNNING) << id;
    }
  }
  rt::ListPodSandboxResponse pods;
  s = d_->runtime().ListPodSandbox(Ctx(quick).get(), {}, &pods);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(pods.items_size(), 2);
  EXPECT_EQ(held.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  // Released, the held create finishes with the ID it was created under and runs.
  gate_->ReleaseOne();
  auto [status, id] = held.get();
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << d_->Log();
  EXPECT_EQ(id, held_id);
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(Status(id).state(), rt::CONTAINER_RUNNING);
}

TEST_F(ContainerConcurrencyTest, RetryWhileHeldIsToldTheStageThenGetsTheSameId) {
  const std::string pod = RunPodOn("retrypod", "slow");
  ASSERT_FALSE(pod.empty());
  const rt::ContainerConfig config = Config("retried", {"/bin/sleep", "3600"});

  std::string held_id;
  auto held = HeldCreate(pod, config, &held_id);
  OnExit release{[&] { gate_->Open(); }};
  ASSERT_EQ(held_id.size(), 64u);

  // The kubelet's retry of the same request, answered at once.
  auto t0 = std::chrono::steady_clock::now();
  std::string retry_id;
  grpc::Status retry = CreateWithin(pod, config, &retry_id, std::chrono::seconds(10));
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::ALREADY_EXISTS) << retry.error_message();
  EXPECT_THAT(retry.error_message(), HasSubstr("still being created"));
  EXPECT_THAT(retry.error_message(), HasSubstr("stage: creating container"));
  EXPECT_THAT(retry.error_message(), HasSubstr(held_id));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(held.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(gate_->Arrived().size(), 1u) << "the retry must not reach the runtime";

  // Once the first call is done, the same request returns its container.
  gate_->ReleaseOne();
  auto [status, id] = held.get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(id, held_id);
  retry = CreateWithin(pod, config, &retry_id, std::chrono::seconds(60));
  ASSERT_TRUE(retry.ok()) << retry.error_message();
  EXPECT_EQ(retry_id, held_id);
  EXPECT_EQ(gate_->Arrived().size(), 1u) << "the retry made no second container";
  rt::ListContainersResponse list;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.containers_size(), 1);
  EXPECT_EQ(list.containers(0).id(), held_id);
  // A different config under the same name is a conflict naming the holder.
  rt::ContainerConfig other = config;
  other.add_args("x");
  retry = CreateWithin(pod, other, nullptr, std::chrono::seconds(60));
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(retry.error_message(), HasSubstr(held_id));
}

TEST_F(ContainerConcurrencyTest, TenContainersCreatedAndStartedAtOnceAllRunAndAreRemovedCleanly) {
  const std::string pod = RunPod("ten");
  ASSERT_FALSE(pod.empty());
  constexpr int kCount = 10;
  std::vector<std::string> ids(kCount);
  std::vector<grpc::Status> created(kCount), started(kCount), removed(kCount);
  std::latch go(kCount);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCount; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();  // every create is in flight together
      created[i] = CreateWithin(pod, Config("c" + std::to_string(i), {"/bin/sleep", "3600"}),
                                &ids[i], std::chrono::seconds(120));
      if (created[i].ok()) started[i] = Start(ids[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(created[i].ok()) << "c" << i << ": " << created[i].error_message();
    ASSERT_TRUE(started[i].ok()) << "c" << i << ": " << started[i].error_message();
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), size_t{kCount});

  rt::ListContainersRequest req;
  req.mutable_filter()->set_pod_sandbox_id(pod);
  rt::ListContainersResponse list;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), req, &list).ok());
  EXPECT_EQ(list.containers_size(), kCount);
  for (const auto& c : list.containers()) EXPECT_EQ(c.state(), rt::CONTAINER_RUNNING) << c.id();
  for (const auto& id : ids) {
    rt::ExecSyncResponse out;
    ASSERT_TRUE(Exec(id, {"true"}, 10, &out).ok());
    EXPECT_EQ(out.exit_code(), 0) << id << " does not run";
  }

  // Removed at once, running as they are: each is stopped and leaves nothing.
  threads.clear();
  std::latch go_remove(kCount);
  for (int i = 0; i < kCount; ++i) {
    threads.emplace_back([&, i] {
      go_remove.arrive_and_wait();
      removed[i] = Remove(ids[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCount; ++i) {
    EXPECT_TRUE(removed[i].ok()) << "c" << i << ": " << removed[i].error_message();
    ExpectContainerGone(ids[i]);
  }
  list.Clear();
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
  std::string runc_list =
      RunCommand({"/usr/sbin/runc", "--root", "/run/berth/runc", "list"}).output;
  for (const auto& id : ids) EXPECT_THAT(runc_list, ::testing::Not(HasSubstr(id)));
}

}  // namespace
}  // namespace berth::testing
