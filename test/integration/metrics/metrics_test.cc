// The metrics endpoint and per-call logs of a real berthd: a pod and
// container lifecycle, a failed call and two pulls move the figures they
// should; promtool accepts the exposition; a bad or taken metrics.address
// fails the start, a bad one at SIGHUP is refused; every log line of a call
// carries its request id and objects; a slow pull logs the step it is at.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"
#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string BusyboxRef() {
  return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
}

// "series{labels} value" lines of an exposition, keyed by the series text.
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The groups of the first match of POSIX extended `pattern` in `text` (whole
// match first); empty when nothing matches. (GCC 12 warns inside std::regex.)
std::vector<std::string> Search(const std::string& text, const std::string& pattern) {
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED) != 0) {
    ADD_FAILURE() << "bad pattern " << pattern;
    return {};
  }
  regmatch_t m[4];
  std::vector<std::string> groups;
  if (regexec(&re, text.c_str(), 4, m, 0) == 0) {
    for (const regmatch_t& g : m) {
      if (g.rm_so >= 0) groups.push_back(text.substr(size_t(g.rm_so), size_t(g.rm_eo - g.rm_so)));
    }
  }
  regfree(&re);
  return groups;
}

class MetricsTest : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
    ASSERT_FALSE(RunCommand({"/bin/sh", "-c", "command -v promtool"}).output.empty())
        << "promtool (Debian's prometheus package) is needed: hack/install-deps.sh";
    TestNetwork net = MakeNetwork(tmp_.path());
    ASSERT_NO_FATAL_FAILURE(StartDaemon(
        RuncOnlyYaml() + ImageEnv::RegistriesYaml() + "\nmetrics: {address: \"127.0.0.1:0\"}\n", {},
        &net));
    // Port 0 = any free port; berthd logs the one it got.
    const std::string log = d_->Log();
    auto m = Search(log, R"(metrics served on [^ ]+ \(port ([0-9]+)\))");
    ASSERT_EQ(m.size(), 2u) << log;
    port_ = m[1];
  }
  void TearDown() override {
    ImageEnv::SetProxyRate(0);
    SandboxFixture::TearDown();
  }

  std::string Scrape() {
    ProcessResult r =
        RunCommand({"/usr/bin/curl", "-sS", "--fail", "http://127.0.0.1:" + port_ + "/metrics"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
  double Value(const std::map<std::string, double>& m, const std::string& series) {
    auto it = m.find(series);
    return it == m.end() ? -1 : it->second;
  }

  grpc::Status Pull(const std::string& ref) {
    rt::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    rt::PullImageResponse resp;
    return d_->image().PullImage(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  }
  std::string CreateAndStart(const std::string& pod, const rt::PodSandboxConfig& pod_config) {
    rt::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod);
    *create.mutable_sandbox_config() = pod_config;
    create.mutable_config()->mutable_metadata()->set_name("sleeper");
    create.mutable_config()->mutable_image()->set_image(BusyboxRef());
    create.mutable_config()->add_command("/bin/sleep");
    create.mutable_config()->add_command("600");
    rt::CreateContainerResponse created;
    grpc::Status s =
        d_->runtime().CreateContainer(Ctx(std::chrono::seconds(60)).get(), create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    rt::StartContainerRequest start;
    start.set_container_id(created.container_id());
    rt::StartContainerResponse started;
    s = d_->runtime().StartContainer(Ctx(std::chrono::seconds(60)).get(), start, &started);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.container_id();
  }

  std::string port_;
};

TEST_F(MetricsTest, LifecycleAndAFailedCallMoveTheFiguresAndPromtoolAcceptsThem) {
  const auto before = Parse(Scrape());
  EXPECT_GE(Value(before, "berth_restore_duration_seconds"), 0);
  EXPECT_EQ(Value(before, "berth_pod_sandboxes{state=\"ready\"}"), 0);
  EXPECT_EQ(Value(before, "berth_image_pulls_total{result=\"success\"}"), 0);

  // 1. A pull, a pod, a running container; one failed call and one failed pull.
  ASSERT_TRUE(Pull(BusyboxRef()).ok());
  rt::PodSandboxConfig pod_config = PodConfig("metrics-pod", "uid-metrics");
  pod_config.set_log_directory(tmp_.Sub("logs"));
  std::string pod;
  ASSERT_TRUE(Run(pod_config, &pod).ok()) << d_->Log();
  const std::string ctr = CreateAndStart(pod, pod_config);
  rt::ContainerStatusRequest missing;
  missing.set_container_id("feedfacefeedface");
  rt::ContainerStatusResponse missing_resp;
  EXPECT_EQ(d_->runtime().ContainerStatus(Ctx().get(), missing, &missing_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(Pull(BusyboxRef() + "-no-such-tag").ok());
  // The List calls (raw callback RPCs answered from cached bytes) pass the
  // same wrapper.
  rt::ListPodSandboxResponse pods;
  ASSERT_TRUE(d_->runtime().ListPodSandbox(Ctx().get(), {}, &pods).ok());
  EXPECT_EQ(pods.items_size(), 1);
  rt::ListContainersResponse containers;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &containers).ok());
  EXPECT_EQ(containers.containers_size(), 1);

  const std::string during_text = Scrape();
  const auto during = Parse(during_text);
  for (const char* list : {"ListPodSandbox", "ListContainers"}) {
    EXPECT_GE(Value(during, "berth_grpc_requests_total{method=\"RuntimeService." +
                                std::string(list) + "\"}"),
              1)
        << list << "\n"
        << during_text;
  }
  EXPECT_EQ(Value(during, "berth_pod_sandboxes{state=\"ready\"}"), 1);
  EXPECT_EQ(Value(during, "berth_containers{state=\"running\"}"), 1);
  EXPECT_EQ(Value(during, "berth_grpc_requests_total{method=\"RuntimeService.RunPodSandbox\"}"), 1);
  EXPECT_EQ(Value(during,
                  "berth_grpc_request_duration_seconds_count{method=\"RuntimeService."
                  "RunPodSandbox\",runtime_handler=\"runc\"}"),
            1)
      << "a pod without a runtime_handler is labelled with the runtime it was routed to\n"
      << during_text;
  EXPECT_EQ(Value(during,
                  "berth_grpc_request_duration_seconds_count{method=\"RuntimeService."
                  "StartContainer\",runtime_handler=\"runc\"}"),
            1);
  EXPECT_EQ(Value(during,
                  "berth_grpc_request_errors_total{code=\"NotFound\",method=\"RuntimeService."
                  "ContainerStatus\"}"),
            1)
      << during_text;
  EXPECT_EQ(Value(during, "berth_image_pulls_total{result=\"success\"}"), 1);
  EXPECT_EQ(Value(during, "berth_image_pulls_total{result=\"failure\"}"), 1);
  EXPECT_EQ(Value(during, "berth_image_pull_failures_total{reason=\"NotFound\"}"), 1)
      << during_text;
  EXPECT_GT(Value(during, "berth_image_pull_bytes_total"), 100'000) << "busybox's layer";
  EXPECT_EQ(Value(during, "berth_cni_operation_duration_seconds_count{operation=\"add\"}"), 1);
  EXPECT_GT(Value(during, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(during, "process_open_fds"), 3);
  EXPECT_GT(Value(during, "process_threads"), 2);
  EXPECT_GT(Value(during, "process_cpu_seconds_total"), 0);

  // 2. Tear everything down: the state gauges follow, CNI DEL is timed.
  rt::StopContainerRequest stop;
  stop.set_container_id(ctr);
  stop.set_timeout(0);
  rt::StopContainerResponse stopped;
  ASSERT_TRUE(
      d_->runtime().StopContainer(Ctx(std::chrono::seconds(60)).get(), stop, &stopped).ok());
  EXPECT_EQ(Value(Parse(Scrape()), "berth_containers{state=\"exited\"}"), 1);
  ASSERT_TRUE(Stop(pod).ok());
  ASSERT_TRUE(Remove(pod).ok());
  const std::string after_text = Scrape();
  const auto after = Parse(after_text);
  EXPECT_EQ(Value(after, "berth_pod_sandboxes{state=\"ready\"}"), 0);
  EXPECT_EQ(Value(after, "berth_pod_sandboxes{state=\"notready\"}"), 0);
  EXPECT_EQ(Value(after, "berth_containers{state=\"exited\"}"), 0);
  EXPECT_GE(Value(after, "berth_cni_operation_duration_seconds_count{operation=\"del\"}"), 1);

  // 3. Upstream's own linter accepts the exposition.
  const std::string file = tmp_.Sub("metrics.txt");
  std::ofstream(file) << after_text;
  ProcessResult check = RunCommand({"/bin/sh", "-c", "promtool check metrics < " + file});
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // 4. The failed call's log line carries its request id, object and code name.
  const std::string log = d_->Log();
  EXPECT_EQ(
      Search(log, R"(\[req=[0-9a-f]{8} ctr=feedfacefeed\] rpc RuntimeService.ContainerStatus )"
                  R"(failed in [0-9.]+ ms: NotFound: )")
          .size(),
      1u)
      << log;
  // Every line of the RunPodSandbox call names its pod, the handler's own
  // lines included (not only the interceptor's).
  auto run = Search(log, R"(\[req=([0-9a-f]{8}) pod_name=default/metrics-pod\] rpc )"
                         R"(RunPodSandbox request)");
  ASSERT_EQ(run.size(), 2u) << log;
  const std::string run_req = run[1];
  std::istringstream lines(log);
  int handler_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[req=" + run_req) == std::string::npos) continue;
    EXPECT_THAT(line, HasSubstr("pod_name=default/metrics-pod")) << line;
    handler_lines += line.find("rpc RuntimeService.RunPodSandbox") == std::string::npos;
  }
  EXPECT_GT(handler_lines, 0) << "no line of RunPodSandbox's own carries its request id\n" << log;
  ExpectNoLeaks({RuncRoot()});
}

TEST_F(MetricsTest, ACallSlowerThanASecondLogsTheStepItIsAt) {
  // busybox through the rate-limited mirror: about 1 MB at 200 kB/s.
  ImageEnv::SetProxyRate(200'000);
  ASSERT_TRUE(Pull("gcr.io/berth-test/busybox:latest").ok()) << d_->Log();
  ImageEnv::SetProxyRate(0);
  EXPECT_THAT(d_->Log(), ::testing::ContainsRegex(
                             R"(\[req=[0-9a-f]{8} image=gcr.io/berth-test/busybox:latest\] rpc )"
                             R"(ImageService.PullImage still running after 1.[0-9] s, at step: )"
                             R"(3 download and unpack layers)"));
  const auto m = Parse(Scrape());
  EXPECT_GE(Value(m,
                  "berth_grpc_request_duration_seconds_bucket{method=\"ImageService.PullImage\","
                  "runtime_handler=\"\",le=\"300\"}"),
            1);
  EXPECT_EQ(Value(m,
                  "berth_grpc_request_duration_seconds_bucket{method=\"ImageService.PullImage\","
                  "runtime_handler=\"\",le=\"1\"}"),
            0);
}

TEST_F(MetricsTest, ABadAddressAtSighupIsRefusedAndServingGoesOn) {
  const std::string dropin = d_->config_path() + ".d/90-metrics.yaml";
  std::filesystem::create_directories(d_->config_path() + ".d");
  std::ofstream(dropin) << "metrics: {address: \"127.0.0.1:99999\"}\n";
  ASSERT_EQ(kill(d_->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return d_->Log().find("SIGHUP: keeping") != std::string::npos; },
                      std::chrono::seconds(10)))
      << d_->Log();
  EXPECT_THAT(d_->Log(), HasSubstr("\"metrics.address\" must be host:port"));
  EXPECT_EQ(Value(Parse(Scrape()), "berth_pod_sandboxes{state=\"ready\"}"), 0);
  // A valid but different address is reported as waiting for a restart.
  std::ofstream(dropin) << "metrics: {address: \"127.0.0.1:9\"}\n";
  ASSERT_EQ(kill(d_->pid(), SIGHUP), 0);
  EXPECT_TRUE(
      WaitFor([&] { return d_->Log().find("takes effect at the next start") != std::string::npos; },
              std::chrono::seconds(10)))
      << d_->Log();
  EXPECT_FALSE(Scrape().empty());
}

TEST(MetricsStartTest, ABadOrTakenAddressFailsTheStartNamingIt) {
  RequireRoot();
  {
    BerthdProcess d("metrics: {address: \"localhost\"}\n");
    ProcessResult r = d.RunToExit();
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("\"metrics.address\" must be host:port"));
  }
  // A port someone else listens on.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  BerthdProcess d("metrics: {address: \"" + taken + "\"}\n");
  ProcessResult r = d.RunToExit();
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("metrics.address \"" + taken + "\": cannot listen"));
}

}  // namespace
}  // namespace berth::testing
