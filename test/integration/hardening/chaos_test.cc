// Chaos: concurrent clients make valid CRI calls (pods, containers, execs,
// pulls, stops, removals) while berthd is killed with SIGKILL and restarted
// at seeded moments. Each client keeps a model of what berthd acknowledged;
// a call cut off by a kill is ambiguous, and its object must then be found in
// a state the call could have left (before or after, never anything else).
// At the end berthd is killed once more, the whole model is checked against
// the restored state, everything is removed as the kubelet would, and the
// leak census (mounts, netns, veths, IPs, runc state, conmon, files) plus
// iptables and cgroups must be clean.
//
// Replay: BERTH_CHAOS_SEED=<seed printed by a failed run>; BERTH_CHAOS_CALLS
// and BERTH_CHAOS_KILLS make a longer run. The order of calls per client and
// the call counts at which berthd is killed follow from the seed; where a kill
// lands inside a call depends on timing, so a replay explores the same
// schedule, not the same instants.
#include <gmock/gmock.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Codes with which a call cut off by berthd's death (or not sent at all while
// it was down) comes back: whether it took effect is unknown.
bool Ambiguous(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

enum class State { kReady, kNotReady, kCreated, kRunning, kExited, kGone };

const char* Name(State s) {
  switch (s) {
    case State::kReady:
      return "READY";
    case State::kNotReady:
      return "NOTREADY";
    case State::kCreated:
      return "CREATED";
    case State::kRunning:
      return "RUNNING";
    case State::kExited:
      return "EXITED";
    case State::kGone:
      return "gone";
  }
  return "?";
}

State FromCri(rt::PodSandboxState s) {
  return s == rt::SANDBOX_READY ? State::kReady : State::kNotReady;
}

State FromCri(rt::ContainerState s) {
  switch (s) {
    case rt::CONTAINER_CREATED:
      return State::kCreated;
    case rt::CONTAINER_RUNNING:
      return State::kRunning;
    case rt::CONTAINER_EXITED:
      return State::kExited;
    default:
      return State::kGone;  // UNKNOWN: never acceptable below
  }
}

struct Object {
  std::string id;
  std::string pod;  // containers: their pod's id
  State state;
};

// berthd's availability as the killer changes it: clients whose call was cut
// off wait here for the restarted daemon instead of polling it.
class DaemonGate {
 public:
  void Down() {
    std::lock_guard<std::mutex> l(mu_);
    up_ = false;
  }
  void Up() {
    {
      std::lock_guard<std::mutex> l(mu_);
      up_ = true;
      ++generation_;
    }
    cv_.notify_all();
  }
  // Waits until berthd is up; returns its generation (restarts so far).
  int WaitUp() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return up_; });
    return generation_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool up_ = true;
  int generation_ = 0;
};

class ChaosTest : public RestoreFixture {
 protected:
  struct Client;
  void RunClient(Client& c);
  std::unique_ptr<rt::RuntimeService::Stub> NewRuntimeStub() const;
  std::unique_ptr<rt::ImageService::Stub> NewImageStub() const;
  std::string Failure(const Client& c, const std::string& what) const;

  uint64_t seed_ = 0;
  DaemonGate gate_;
  // Calls made by all clients; the killer waits on it.
  std::mutex calls_mu_;
  std::condition_variable calls_cv_;
  uint64_t calls_made_ = 0;
  bool clients_done_ = false;
  std::mutex seen_mu_;
  std::set<std::string> seen_ids_;  // every pod and container id ever learnt
};

struct ChaosTest::Client {
  int index = 0;
  uint64_t calls = 0;
  std::mt19937_64 rng;
  std::unique_ptr<rt::RuntimeService::Stub> runtime;
  std::unique_ptr<rt::ImageService::Stub> image;
  std::vector<Object> pods, containers;
  int attempts = 0;  // names each RunPodSandbox/CreateContainer attempt
  std::vector<std::string> failures;
  std::vector<std::string> trace;  // the last calls, for a failure's report
};

// A channel with a connection of its own: channels to one target otherwise
// share it, and one still in reconnect back-off after a kill would fail the
// first calls to the restarted berthd ("connection refused").
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& endpoint) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<rt::RuntimeService::Stub> ChaosTest::NewRuntimeStub() const {
  return rt::RuntimeService::NewStub(OwnChannel(d_->endpoint()));
}

std::unique_ptr<rt::ImageService::Stub> ChaosTest::NewImageStub() const {
  return rt::ImageService::NewStub(OwnChannel(d_->endpoint()));
}

std::string ChaosTest::Failure(const Client& c, const std::string& what) const {
  std::ostringstream out;
  out << "client " << c.index << " (seed " << seed_ << "): " << what << "\n  last calls:";
  for (const auto& t : c.trace) out << "\n    " << t;
  return out.str();
}

// The client's side of one call: its own channel (a kill breaks it; it is
// made again before the next call so that gRPC's reconnect back-off never
// delays the test), the label that finds an attempt's object when its
// response was lost, and the model update.
void ChaosTest::RunClient(Client& c) {
  const std::string attempt_label = "chaos-attempt";
  auto fresh_stubs = [&] {
    c.runtime = NewRuntimeStub();
    c.image = NewImageStub();
  };
  fresh_stubs();
  auto note = [&](const std::string& call, const grpc::Status& s) {
    c.trace.push_back(call + " -> " +
                      (s.ok() ? "OK" : std::to_string(s.error_code()) + " " + s.error_message()));
    if (c.trace.size() > 12) c.trace.erase(c.trace.begin());
  };
  auto learn = [&](const std::string& id) {
    std::lock_guard<std::mutex> l(seen_mu_);
    seen_ids_.insert(id);
  };
  auto fail = [&](const std::string& what) { c.failures.push_back(Failure(c, what)); };

  // Reads an object's state from berthd, retrying across further kills.
  auto observe = [&](const Object& o, bool is_pod) -> State {
    for (;;) {
      gate_.WaitUp();
      fresh_stubs();
      grpc::Status s;
      State st = State::kGone;
      if (is_pod) {
        rt::PodSandboxStatusRequest req;
        req.set_pod_sandbox_id(o.id);
        rt::PodSandboxStatusResponse resp;
        s = c.runtime->PodSandboxStatus(Ctx().get(), req, &resp);
        if (s.ok()) st = FromCri(resp.status().state());
      } else {
        rt::ContainerStatusRequest req;
        req.set_container_id(o.id);
        rt::ContainerStatusResponse resp;
        s = c.runtime->ContainerStatus(Ctx().get(), req, &resp);
        if (s.ok()) st = FromCri(resp.status().state());
      }
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) return State::kGone;
      if (s.ok()) return st;
      if (!Ambiguous(s)) {
        fail("status of " + o.id + ": " + s.error_message());
        return State::kGone;
      }
    }
  };
  // After a call whose effect is unknown: the object must be in one of `allowed`.
  auto resync = [&](Object& o, bool is_pod, std::set<State> allowed, const std::string& call) {
    State now = observe(o, is_pod);
    if (!allowed.count(now)) {
      std::string names;
      for (State a : allowed) names += std::string(" ") + Name(a);
      fail(call + " cut off by a kill left " + o.id + " " + Name(now) + "; allowed:" + names);
    }
    o.state = now;
  };
  // A cut-off create: zero or one object carries the attempt's label.
  auto find_attempt = [&](const std::string& attempt, bool is_pod) -> std::vector<Object> {
    for (;;) {
      gate_.WaitUp();
      fresh_stubs();
      std::vector<Object> found;
      grpc::Status s;
      if (is_pod) {
        rt::ListPodSandboxRequest req;
        (*req.mutable_filter()->mutable_label_selector())[attempt_label] = attempt;
        rt::ListPodSandboxResponse resp;
        s = c.runtime->ListPodSandbox(Ctx().get(), req, &resp);
        for (const auto& p : resp.items()) found.push_back({p.id(), "", FromCri(p.state())});
      } else {
        rt::ListContainersRequest req;
        (*req.mutable_filter()->mutable_label_selector())[attempt_label] = attempt;
        rt::ListContainersResponse resp;
        s = c.runtime->ListContainers(Ctx().get(), req, &resp);
        for (const auto& k : resp.containers())
          found.push_back({k.id(), k.pod_sandbox_id(), FromCri(k.state())});
      }
      if (s.ok()) return found;
      if (!Ambiguous(s)) {
        fail("listing attempt " + attempt + ": " + s.error_message());
        return {};
      }
    }
  };
  auto containers_of = [&](const std::string& pod) {
    std::vector<Object*> out;
    for (auto& k : c.containers)
      if (k.pod == pod && k.state != State::kGone) out.push_back(&k);
    return out;
  };
  auto pick = [&](std::vector<Object>& from, State state) -> Object* {
    std::vector<Object*> matching;
    for (auto& o : from)
      if (o.state == state) matching.push_back(&o);
    if (matching.empty()) return nullptr;
    return matching[std::uniform_int_distribution<size_t>(0, matching.size() - 1)(c.rng)];
  };

  // Operations and their weights; one whose object is missing is re-drawn.
  enum Op {
    kRunPod,
    kCreate,
    kStart,
    kExec,
    kStopCtr,
    kRemoveCtr,
    kStopPod,
    kRemovePod,
    kPull,
    kList
  };
  const std::vector<std::pair<Op, int>> weights = {
      {kRunPod, 3},    {kCreate, 4},  {kStart, 4},     {kExec, 3}, {kStopCtr, 2},
      {kRemoveCtr, 3}, {kStopPod, 1}, {kRemovePod, 2}, {kPull, 1}, {kList, 2}};
  int total_weight = 0;
  for (const auto& w : weights) total_weight += w.second;

  for (uint64_t done = 0; done < c.calls && c.failures.empty();) {
    int r = std::uniform_int_distribution<int>(0, total_weight - 1)(c.rng);
    Op op = kList;
    for (const auto& w : weights) {
      if (r < w.second) {
        op = w.first;
        break;
      }
      r -= w.second;
    }
    grpc::Status s;
    std::string call;
    switch (op) {
      case kRunPod: {
        int live = 0;
        for (const auto& p : c.pods) live += p.state != State::kGone;
        if (live >= 3) continue;
        std::string attempt = std::to_string(c.index) + "-" + std::to_string(++c.attempts);
        rt::RunPodSandboxRequest req;
        *req.mutable_config() = PodConfig("chaos-" + attempt, "uid-chaos-" + attempt);
        req.mutable_config()->set_log_directory(LogDir());
        (*req.mutable_config()->mutable_labels())[attempt_label] = attempt;
        if (c.attempts % 3 == 0) {  // some pods with a hostPort, for portmap's iptables rules
          auto* pm = req.mutable_config()->add_port_mappings();
          pm->set_protocol(rt::TCP);
          pm->set_container_port(80);
          pm->set_host_port(30000 + c.index * 1000 + c.attempts % 1000);
        }
        rt::RunPodSandboxResponse resp;
        call = "RunPodSandbox " + attempt;
        s = c.runtime->RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
        if (s.ok()) {
          c.pods.push_back({resp.pod_sandbox_id(), "", State::kReady});
          learn(resp.pod_sandbox_id());
        } else if (Ambiguous(s)) {
          auto found = find_attempt(attempt, true);
          if (found.size() > 1)
            fail(call + " cut off by a kill made " + std::to_string(found.size()) + " pods");
          for (auto& p : found) {
            learn(p.id);
            c.pods.push_back(p);
          }
        }
        break;
      }
      case kCreate: {
        Object* pod = pick(c.pods, State::kReady);
        if (!pod || containers_of(pod->id).size() >= 3) continue;
        std::string attempt = std::to_string(c.index) + "-" + std::to_string(++c.attempts);
        rt::CreateContainerRequest req;
        req.set_pod_sandbox_id(pod->id);
        // The shell takes SIGTERM at once (its trap interrupts `wait`), so
        // stops never wait for the kill timeout.
        *req.mutable_config() =
            Config("c" + attempt, {"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"});
        (*req.mutable_config()->mutable_labels())[attempt_label] = attempt;
        rt::CreateContainerResponse resp;
        call = "CreateContainer " + attempt + " in " + pod->id.substr(0, 12);
        s = c.runtime->CreateContainer(Ctx(std::chrono::seconds(90)).get(), req, &resp);
        if (s.ok()) {
          c.containers.push_back({resp.container_id(), pod->id, State::kCreated});
          learn(resp.container_id());
        } else if (Ambiguous(s)) {
          auto found = find_attempt(attempt, false);
          if (found.size() > 1)
            fail(call + " cut off by a kill made " + std::to_string(found.size()) + " containers");
          for (auto& k : found) {
            learn(k.id);
            // A create cut off before the runtime had the container may be
            // restored as exited (it never ran), never as running.
            if (k.state != State::kCreated && k.state != State::kExited)
              fail(call + " cut off by a kill left it " + Name(k.state));
            c.containers.push_back(k);
          }
        }
        break;
      }
      case kStart: {
        Object* k = pick(c.containers, State::kCreated);
        if (!k) continue;
        rt::StartContainerRequest req;
        req.set_container_id(k->id);
        rt::StartContainerResponse resp;
        call = "StartContainer " + k->id.substr(0, 12);
        s = c.runtime->StartContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
        if (s.ok())
          k->state = State::kRunning;
        else if (Ambiguous(s))
          resync(*k, false, {State::kCreated, State::kRunning}, call);
        break;
      }
      case kExec: {
        Object* k = pick(c.containers, State::kRunning);
        if (!k) continue;
        rt::ExecSyncRequest req;
        req.set_container_id(k->id);
        std::string word = "chaos" + std::to_string(done);
        for (const char* a : {"/bin/echo", word.c_str()}) req.add_cmd(a);
        req.set_timeout(20);
        rt::ExecSyncResponse resp;
        call = "ExecSync " + k->id.substr(0, 12);
        s = c.runtime->ExecSync(Ctx(std::chrono::seconds(60)).get(), req, &resp);
        if (s.ok() && (resp.exit_code() != 0 || resp.stdout() != word + "\n"))
          fail(call + " answered exit " + std::to_string(resp.exit_code()) + " stdout '" +
               resp.stdout() + "'");
        else if (Ambiguous(s))
          resync(*k, false, {State::kRunning}, call);
        break;
      }
      case kStopCtr: {
        Object* k = pick(c.containers, State::kRunning);
        if (!k) continue;
        rt::StopContainerRequest req;
        req.set_container_id(k->id);
        req.set_timeout(10);
        rt::StopContainerResponse resp;
        call = "StopContainer " + k->id.substr(0, 12);
        s = c.runtime->StopContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
        if (s.ok())
          k->state = State::kExited;
        else if (Ambiguous(s))
          resync(*k, false, {State::kRunning, State::kExited}, call);
        break;
      }
      case kRemoveCtr: {
        Object* k = pick(c.containers, State::kExited);
        if (!k) k = pick(c.containers, State::kCreated);
        if (!k) continue;
        rt::RemoveContainerRequest req;
        req.set_container_id(k->id);
        rt::RemoveContainerResponse resp;
        call = "RemoveContainer " + k->id.substr(0, 12);
        State before = k->state;
        s = c.runtime->RemoveContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
        if (s.ok())
          k->state = State::kGone;
        else if (Ambiguous(s))
          resync(*k, false, {before, State::kExited, State::kGone}, call);
        break;
      }
      case kStopPod: {
        Object* pod = pick(c.pods, State::kReady);
        if (!pod) continue;
        rt::StopPodSandboxRequest req;
        req.set_pod_sandbox_id(pod->id);
        rt::StopPodSandboxResponse resp;
        call = "StopPodSandbox " + pod->id.substr(0, 12);
        s = c.runtime->StopPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
        if (s.ok()) {
          pod->state = State::kNotReady;
          for (Object* k : containers_of(pod->id)) k->state = State::kExited;
        } else if (Ambiguous(s)) {
          resync(*pod, true, {State::kReady, State::kNotReady}, call);
          for (Object* k : containers_of(pod->id)) {
            // A stop pod stops its containers first: once the pod is not
            // ready, none of them may still run.
            std::set<State> allowed = {k->state, State::kExited};
            if (pod->state == State::kNotReady) allowed = {State::kExited};
            resync(*k, false, allowed, call + " (its container)");
          }
        }
        break;
      }
      case kRemovePod: {
        Object* pod = pick(c.pods, State::kNotReady);
        if (!pod) continue;
        rt::RemovePodSandboxRequest req;
        req.set_pod_sandbox_id(pod->id);
        rt::RemovePodSandboxResponse resp;
        call = "RemovePodSandbox " + pod->id.substr(0, 12);
        s = c.runtime->RemovePodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
        if (s.ok()) {
          pod->state = State::kGone;
          for (Object* k : containers_of(pod->id)) k->state = State::kGone;
        } else if (Ambiguous(s)) {
          resync(*pod, true, {State::kNotReady, State::kGone}, call);
          for (Object* k : containers_of(pod->id)) {
            std::set<State> allowed = {k->state, State::kGone};
            if (pod->state == State::kGone) allowed = {State::kGone};
            resync(*k, false, allowed, call + " (its container)");
          }
        }
        break;
      }
      case kPull: {
        rt::PullImageRequest req;
        req.mutable_image()->set_image(BusyboxRef());
        rt::PullImageResponse resp;
        call = "PullImage";
        s = c.image->PullImage(Ctx(std::chrono::seconds(120)).get(), req, &resp);
        break;
      }
      case kList: {
        rt::ListContainersRequest req;
        rt::ListContainersResponse resp;
        call = "ListContainers";
        s = c.runtime->ListContainers(Ctx().get(), req, &resp);
        break;
      }
    }
    ++done;
    {
      std::lock_guard<std::mutex> l(calls_mu_);
      ++calls_made_;
    }
    calls_cv_.notify_all();
    note(call, s);
    if (!s.ok() && !Ambiguous(s)) fail(call + " failed: " + s.error_message());
    if (!s.ok() && Ambiguous(s)) fresh_stubs();
  }
}

TEST_F(ChaosTest, StateMatchesWhatWasAcknowledgedAcrossKillsAndNothingLeaks) {
  seed_ = EnvNumber("BERTH_CHAOS_SEED", 20261127);
  const uint64_t calls = EnvNumber("BERTH_CHAOS_CALLS", 1500);
  const uint64_t kills = EnvNumber("BERTH_CHAOS_KILLS", 6);
  const int clients = 3;
  std::cerr << "chaos: seed " << seed_ << ", " << calls << " calls, " << kills << " kills, "
            << clients << " clients\n";
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());

  // The call counts at which berthd dies, from the seed.
  std::mt19937_64 schedule(seed_);
  std::vector<uint64_t> kill_at;
  for (uint64_t i = 0; i < kills; ++i)
    kill_at.push_back(
        std::uniform_int_distribution<uint64_t>(calls / 10, calls * 9 / 10)(schedule));
  std::sort(kill_at.begin(), kill_at.end());

  std::vector<Client> cs(clients);
  for (int i = 0; i < clients; ++i) {
    cs[i].index = i;
    cs[i].calls = calls / clients;
    cs[i].rng.seed(seed_ + 1 + i);
  }
  std::atomic<int> restarts{0};
  // The killer watches the call count (not the clock): berthd dies while
  // calls are in flight, at moments the seed chooses.
  std::thread killer([&] {
    for (uint64_t at : kill_at) {
      {
        std::unique_lock<std::mutex> l(calls_mu_);
        calls_cv_.wait(l, [&] { return calls_made_ >= at || clients_done_; });
        if (clients_done_) return;
      }
      gate_.Down();
      d_->StopWith(SIGKILL);
      Restart();
      gate_.Up();
      ++restarts;
    }
  });
  std::vector<std::thread> threads;
  for (auto& c : cs) threads.emplace_back([&] { RunClient(c); });
  for (auto& t : threads) t.join();
  {
    std::lock_guard<std::mutex> l(calls_mu_);
    clients_done_ = true;
  }
  calls_cv_.notify_all();
  killer.join();
  for (auto& c : cs) {
    for (const auto& f : c.failures) ADD_FAILURE() << f;
    c.runtime.reset();
    c.image.reset();
  }
  std::cerr << "chaos: " << calls_made_ << " calls made, berthd killed " << restarts << " times\n";
  EXPECT_EQ(restarts, static_cast<int>(kills)) << "every scheduled kill should have happened";

  // One last kill: what berthd restores must be exactly what the clients
  // were told, object by object, with nothing more.
  d_->StopWith(SIGKILL);
  ASSERT_NO_FATAL_FAILURE(Restart());
  std::map<std::string, State> expected;
  for (const auto& c : cs) {
    for (const auto& p : c.pods) expected[p.id] = p.state;
    for (const auto& k : c.containers) expected[k.id] = k.state;
  }
  std::map<std::string, State> restored;
  for (const auto& p : List()) restored[p.id()] = FromCri(p.state());
  for (const auto& k : ListContainers()) restored[k.id()] = FromCri(k.state());
  int live = 0;
  for (const auto& [id, state] : expected) {
    if (state == State::kGone) {
      EXPECT_EQ(restored.count(id), 0u) << id << " was removed but came back";
      continue;
    }
    ++live;
    auto it = restored.find(id);
    if (it == restored.end()) {
      ADD_FAILURE() << id << " (" << Name(state) << ") is missing after the restart";
      continue;
    }
    EXPECT_EQ(Name(it->second), std::string(Name(state))) << id;
  }
  for (const auto& [id, state] : restored)
    EXPECT_EQ(expected.count(id), 1u) << id << " (" << Name(state) << ") was never acknowledged";
  std::cerr << "chaos: " << expected.size() << " objects in the model, " << live << " live\n";
  // Every container the model says runs still takes an exec.
  for (const auto& [id, state] : expected) {
    if (state != State::kRunning) continue;
    rt::ExecSyncResponse out;
    grpc::Status s = Exec(id, {"/bin/echo", "alive"}, &out);
    EXPECT_TRUE(s.ok() && out.stdout() == "alive\n") << id << ": " << s.error_message();
  }

  KubeletCleanup();
  ExpectNoLeaksAtAll();
  // Beyond the census: no portmap rule and no cgroup names any pod or container.
  std::string rules = RunCommand({"/usr/sbin/iptables-save"}).output;
  for (const auto& id : seen_ids_)
    EXPECT_EQ(rules.find(id), std::string::npos) << "an iptables rule names " << id;
  EXPECT_EQ(rules.find(net_.subnet_prefix), std::string::npos)
      << "an iptables rule names the pod subnet";
  for (const auto& hierarchy : ListDirOrEmpty("/sys/fs/cgroup")) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it("/sys/fs/cgroup/" + hierarchy, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      const std::string name = it->path().filename();
      for (const auto& id : seen_ids_)
        if (name.find(id) != std::string::npos) ADD_FAILURE() << "cgroup left: " << it->path();
    }
  }
}

}  // namespace
}  // namespace berth::testing
