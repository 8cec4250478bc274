// Container and pod stats through a real berthd, runc and CNI: what busybox
// containers really do (hold memory, burn CPU, write files, send packets)
// shows in ContainerStats, ListContainerStats, PodSandboxStats and
// ListPodSandboxStats, also as upstream crictl's stats and statsp print them.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "test/integration/stats/stats_env.h"

namespace berth::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr uint64_t kMiB = 1 << 20;
constexpr char kSleep[] = "exec sleep 3600";

// Polls `read` until `done` holds for what it returns, or fails the test at
// the deadline; returns the last value. (Stats change as the container runs
// and as the sampler measures; there is no event to wait on.)
template <typename T>
T Eventually(const std::function<T()>& read, const std::function<bool(const T&)>& done,
             const std::string& what, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  T value = read();
  while (!done(value)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "timed out waiting for " << what << "; last value:\n" << value.DebugString();
      return value;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    value = read();
  }
  return value;
}

// crictl's JSON prints 64-bit values as strings.
uint64_t JsonU64(const nlohmann::json& v) {
  return v.is_string() ? std::stoull(v.get<std::string>()) : v.get<uint64_t>();
}

nlohmann::json CrictlJson(const BerthdProcess& d, const std::vector<std::string>& args) {
  ProcessResult r = RunCrictl(d, args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.output;
  return j;
}

std::string RandomHex() {
  unsigned char r[4];
  if (getrandom(r, sizeof r, 0) != sizeof r) std::abort();
  char out[9];
  snprintf(out, sizeof out, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
  return out;
}

TEST_F(StatsTest, AContainerHoldingSixtyFourMebibytesShowsThemInItsWorkingSet) {
  const std::string pod = RunPod("mem");
  // dd's 70 MiB buffer stays resident while dd waits to write it into a pipe
  // that sleep never reads.
  rt::ContainerConfig c = Config("hog", "dd if=/dev/zero bs=70M count=1 | sleep 3600");
  c.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(256 * kMiB);
  const std::string id = CreateAndStart(pod, c);

  rt::ContainerStats st =
      Eventually<rt::ContainerStats>([&] { return ContainerStats(id); },
                                     [](const rt::ContainerStats& s) {
                                       // Both, once dd has filled its whole buffer.
                                       return s.memory().working_set_bytes().value() >= 64 * kMiB &&
                                              s.memory().rss_bytes().value() >= 64 * kMiB;
                                     },
                                     "a working set and RSS of 64 MiB");
  const rt::MemoryUsage& m = st.memory();
  EXPECT_GT(m.timestamp(), 0);
  EXPECT_GE(m.usage_bytes().value(), m.working_set_bytes().value());
  EXPECT_GT(m.page_faults().value(), 16000u);  // at least one per 4 KiB page touched
  ASSERT_TRUE(m.has_available_bytes());
  EXPECT_EQ(m.available_bytes().value(), 256 * kMiB - m.working_set_bytes().value());
  EXPECT_EQ(st.attributes().id(), id);
  EXPECT_EQ(st.attributes().metadata().name(), "hog");
  EXPECT_EQ(st.attributes().labels().at("app"), "hog");

  // Upstream crictl sees the same.
  nlohmann::json j = CrictlJson(*d_, {"stats", "-o", "json", "--id", id});
  ASSERT_EQ(j["stats"].size(), 1u) << j.dump();
  EXPECT_EQ(j["stats"][0]["attributes"]["id"], id);
  EXPECT_GE(JsonU64(j["stats"][0]["memory"]["workingSetBytes"]["value"]), 64 * kMiB) << j.dump();
}

TEST_F(StatsTest, ACpuBurnersUsageGrowsAndItsRateIsAboveAnIdleContainers) {
  const std::string pod = RunPod("cpu");
  const std::string burner = CreateAndStart(pod, Config("burner", "while :; do :; done"));
  const std::string idle = CreateAndStart(pod, Config("idle", kSleep));

  const rt::ContainerStats first = ContainerStats(burner);
  ASSERT_TRUE(first.cpu().has_usage_core_nano_seconds()) << first.DebugString();
  EXPECT_GT(first.cpu().timestamp(), 0);
  const uint64_t used = first.cpu().usage_core_nano_seconds().value();
  Eventually<rt::ContainerStats>(
      [&] { return ContainerStats(burner); },
      [&](const rt::ContainerStats& s) { return s.cpu().usage_core_nano_seconds().value() > used; },
      "the burner's CPU time to grow");
  // A rate needs two readings at least a second apart.
  const rt::ContainerStats busy = Eventually<rt::ContainerStats>(
      [&] { return ContainerStats(burner); },
      [](const rt::ContainerStats& s) { return s.cpu().has_usage_nano_cores(); },
      "a CPU rate for the burner");
  EXPECT_GT(busy.cpu().usage_nano_cores().value(), 0u);
  const rt::ContainerStats calm = Eventually<rt::ContainerStats>(
      [&] { return ContainerStats(idle); },
      [](const rt::ContainerStats& s) { return s.cpu().has_usage_nano_cores(); },
      "a CPU rate for the idle container");
  EXPECT_LT(calm.cpu().usage_nano_cores().value(), busy.cpu().usage_nano_cores().value());
  EXPECT_LT(calm.cpu().usage_nano_cores().value(), 50000000u) << "sleep uses 5% of a core?";
}

TEST_F(StatsTest, WritingTenMebibytesGrowsTheWritableLayer) {
  const std::string pod = RunPod("disk");
  const std::string id = CreateAndStart(pod, Config("writer", kSleep));
  const rt::ContainerStats before = Eventually<rt::ContainerStats>(
      [&] { return ContainerStats(id); },
      [](const rt::ContainerStats& s) { return s.has_writable_layer(); },
      "a first measurement of the writable layer");

  // The writable layer lives on the filesystem ImageFsInfo reports.
  rt::ImageFsInfoResponse fs_info;
  ASSERT_TRUE(d_->image().ImageFsInfo(Ctx().get(), {}, &fs_info).ok());
  ASSERT_GT(fs_info.image_filesystems_size(), 0);
  EXPECT_EQ(before.writable_layer().fs_id().mountpoint(),
            fs_info.image_filesystems(0).fs_id().mountpoint());
  EXPECT_GT(before.writable_layer().timestamp(), 0);

  rt::ExecSyncResponse out;
  grpc::Status s = Exec(id, {"dd", "if=/dev/urandom", "of=/ten-mib", "bs=1M", "count=10"}, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.exit_code(), 0) << out.stderr();
  const uint64_t was = before.writable_layer().used_bytes().value();
  const rt::ContainerStats after = Eventually<rt::ContainerStats>(
      [&] { return ContainerStats(id); },
      [&](const rt::ContainerStats& s) {
        return s.writable_layer().used_bytes().value() >= was + 10 * kMiB;
      },
      "the writable layer to grow by 10 MiB");
  EXPECT_GT(after.writable_layer().inodes_used().value(),
            before.writable_layer().inodes_used().value());
  // The list reports the same measurement.
  rt::ContainerStatsFilter f;
  f.set_id(id);
  std::vector<rt::ContainerStats> listed = ListContainerStats(f);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_GE(listed[0].writable_layer().used_bytes().value(), was + 10 * kMiB);
}

TEST_F(StatsTest, PodStatsShowTheNetworkProcessesAndRunningContainers) {
  const std::string pod = RunPod("net");
  const std::string a = CreateAndStart(pod, Config("a", kSleep));
  const std::string b = CreateAndStart(pod, Config("b", kSleep));
  const std::string created = Create(pod, Config("c", kSleep));  // never started
  // Traffic through eth0: the gateway is the bridge's address on the host.
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(a, {"ping", "-c", "3", "-W", "2", Gateway()}, &out).ok());
  ASSERT_EQ(out.exit_code(), 0) << out.stdout() << out.stderr();

  rt::PodSandboxStats st = PodStats(pod.substr(0, 12));
  EXPECT_EQ(st.attributes().id(), pod);
  EXPECT_EQ(st.attributes().metadata().name(), "net");
  EXPECT_EQ(st.attributes().labels().at("app"), "net");
  const rt::LinuxPodSandboxStats& l = st.linux();
  ASSERT_TRUE(l.has_network()) << st.DebugString();
  EXPECT_GT(l.network().timestamp(), 0);
  EXPECT_EQ(l.network().default_interface().name(), "eth0");
  // Three echo requests and replies of 84 bytes each at least.
  EXPECT_GE(l.network().default_interface().tx_bytes().value(), 3u * 84);
  EXPECT_GE(l.network().default_interface().rx_bytes().value(), 3u * 84);
  EXPECT_EQ(l.network().default_interface().rx_errors().value(), 0u);
  for (const auto& i : l.network().interfaces()) EXPECT_NE(i.name(), "lo");
  // berth-pause and two sleeps.
  EXPECT_GE(l.process().process_count().value(), 3u) << st.DebugString();
  EXPECT_GT(l.cpu().usage_core_nano_seconds().value(), 0u);
  EXPECT_GT(l.memory().working_set_bytes().value(), 0u);
  std::vector<std::string> ids;
  for (const auto& c : l.containers()) ids.push_back(c.attributes().id());
  EXPECT_THAT(ids, UnorderedElementsAre(a, b)) << "running containers only, not " << created;

  nlohmann::json j = CrictlJson(*d_, {"statsp", "-o", "json", "--id", pod});
  ASSERT_EQ(j["stats"].size(), 1u) << j.dump();
  EXPECT_EQ(j["stats"][0]["attributes"]["id"], pod);
  EXPECT_EQ(j["stats"][0]["linux"]["network"]["defaultInterface"]["name"], "eth0") << j.dump();
  EXPECT_EQ(j["stats"][0]["linux"]["containers"].size(), 2u) << j.dump();
}

TEST_F(StatsTest, APodWithACgroupOfItsOwnIsReadFromThatCgroup) {
  const std::string parent = "/berth-stats-it-" + RandomHex();
  const std::string pod = RunPod("own", {}, parent);
  CreateAndStart(pod, Config("hog", "dd if=/dev/zero bs=20M count=1 | sleep 3600"));
  // A process in the pod's cgroup that is in none of its containers (the
  // kubelet's pod cgroup may hold such): only a reading of the pod's own
  // cgroup counts it, a sum of the containers' would not.
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t stray = Spawn({"/bin/sleep", "600"}, devnull);
  close(devnull);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{stray};
  std::string pids_file;
  for (const std::string& dir : {"/sys/fs/cgroup/pids" + parent, "/sys/fs/cgroup" + parent}) {
    if (!std::filesystem::exists(dir + "/pids.current")) continue;
    std::ofstream(dir + "/cgroup.procs") << stray;
    pids_file = dir + "/pids.current";
    break;
  }
  ASSERT_FALSE(pids_file.empty()) << "no pids controller for " << parent;

  const rt::PodSandboxStats st = Eventually<rt::PodSandboxStats>(
      [&] { return PodStats(pod); },
      [](const rt::PodSandboxStats& s) {
        return s.linux().memory().working_set_bytes().value() >= 20 * kMiB &&
               s.linux().process().process_count().value() >= 5;
      },
      "the pod's cgroup to hold dd's buffer and five processes");
  // berth-pause, sh, dd, sleep, and the stray sleep.
  EXPECT_EQ(st.linux().process().process_count().value(), 5u);
  EXPECT_EQ(std::to_string(st.linux().process().process_count().value()) + "\n", Slurp(pids_file));
}

TEST_F(StatsTest, ListsFilterByIdPrefixPodAndLabelsAndHoldOnlyRunningObjects) {
  const std::string p1 = RunPod("p1", {{"tier", "front"}});
  const std::string p2 = RunPod("p2", {{"tier", "back"}});
  rt::ContainerConfig web = Config("c1", kSleep);
  (*web.mutable_labels())["role"] = "web";
  (*web.mutable_annotations())["note"] = "kept";
  const std::string c1 = CreateAndStart(p1, web);
  const std::string c2 = CreateAndStart(p2, Config("c2", kSleep));
  const std::string c3 = Create(p2, Config("c3", kSleep));

  EXPECT_THAT(IdsOf(ListContainerStats()), UnorderedElementsAre(c1, c2));
  rt::ContainerStatsFilter f;
  f.set_pod_sandbox_id(p2.substr(0, 12));
  EXPECT_THAT(IdsOf(ListContainerStats(f)), ElementsAre(c2));
  f.Clear();
  f.set_id(c1.substr(0, 10));
  std::vector<rt::ContainerStats> one = ListContainerStats(f);
  ASSERT_THAT(IdsOf(one), ElementsAre(c1));
  EXPECT_EQ(one[0].attributes().metadata().name(), "c1");
  EXPECT_EQ(one[0].attributes().labels().at("role"), "web");
  EXPECT_EQ(one[0].attributes().annotations().at("note"), "kept");
  f.Clear();
  (*f.mutable_label_selector())["role"] = "web";
  EXPECT_THAT(IdsOf(ListContainerStats(f)), ElementsAre(c1));
  (*f.mutable_label_selector())["app"] = "c2";
  EXPECT_THAT(IdsOf(ListContainerStats(f)), IsEmpty());
  f.Clear();
  f.set_id("ffffffffffff");
  EXPECT_THAT(IdsOf(ListContainerStats(f)), IsEmpty());
  f.Clear();
  f.set_pod_sandbox_id("ffffffffffff");
  EXPECT_THAT(IdsOf(ListContainerStats(f)), IsEmpty());
  // Asked for by ID, a created container answers with what it has.
  EXPECT_EQ(ContainerStats(c3).attributes().id(), c3);

  EXPECT_THAT(IdsOf(ListPodStats()), UnorderedElementsAre(p1, p2));
  rt::PodSandboxStatsFilter pf;
  pf.set_id(p1.substr(0, 8));
  EXPECT_THAT(IdsOf(ListPodStats(pf)), ElementsAre(p1));
  pf.Clear();
  (*pf.mutable_label_selector())["tier"] = "back";
  EXPECT_THAT(IdsOf(ListPodStats(pf)), ElementsAre(p2));

  // crictl's filters reach the same answers.
  nlohmann::json by_label = CrictlJson(*d_, {"stats", "-o", "json", "--label", "role=web"});
  ASSERT_EQ(by_label["stats"].size(), 1u) << by_label.dump();
  EXPECT_EQ(by_label["stats"][0]["attributes"]["id"], c1);
  nlohmann::json by_pod = CrictlJson(*d_, {"stats", "-o", "json", "-p", p2});
  ASSERT_EQ(by_pod["stats"].size(), 1u) << by_pod.dump();
  EXPECT_EQ(by_pod["stats"][0]["attributes"]["id"], c2);

  // A stopped pod and its stopped containers leave the lists.
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(p1);
  rt::StopPodSandboxResponse stopped;
  ASSERT_TRUE(
      d_->runtime().StopPodSandbox(Ctx(std::chrono::seconds(60)).get(), stop, &stopped).ok());
  EXPECT_THAT(IdsOf(ListPodStats()), ElementsAre(p2));
  EXPECT_THAT(IdsOf(ListContainerStats()), ElementsAre(c2));
}

}  // namespace
}  // namespace berth::testing
