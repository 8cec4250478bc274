#include "pkg/cni/invoke.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/cni/plugin_exec.h"
#include "test/unit/cni/test_util.h"

namespace berth::cni {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using testing::InstallFake;
using ::testing::Not;
using testing::ReadFileOrEmpty;
using testing::TempDir;

PodNetworkRequest Pod() {
  PodNetworkRequest r;
  r.container_id = "abc123";
  r.netns_path = "/run/netns/test";
  r.pod_name = "web";
  r.pod_namespace = "default";
  r.pod_uid = "uid-1";
  return r;
}

TEST(CniArgsTest, BuildsKubernetesKeys) {
  auto args = BuildCniArgs(Pod());
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args,
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
            "K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=uid-1");
}

TEST(CniArgsTest, RejectsValuesThatSmuggleKeys) {
  auto pod = Pod();
  pod.pod_name = "web;K8S_POD_NAMESPACE=kube-system";
  auto args = BuildCniArgs(pod);
  EXPECT_EQ(args.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(args.status().message(), HasSubstr("K8S_POD_NAME"));
  pod = Pod();
  pod.pod_namespace = "a=b";
  EXPECT_THAT(BuildCniArgs(pod).status().message(), HasSubstr("K8S_POD_NAMESPACE"));
  pod = Pod();
  pod.pod_uid = "x\ny";
  EXPECT_FALSE(BuildCniArgs(pod).ok());
}

TEST(ValidateRequestTest, ContainerIdAndNetns) {
  EXPECT_TRUE(ValidateRequest(Pod()).ok());
  auto pod = Pod();
  pod.container_id = "../etc";
  EXPECT_THAT(ValidateRequest(pod).message(), HasSubstr("outside [A-Za-z0-9_.-]"));
  pod.container_id = "";
  EXPECT_FALSE(ValidateRequest(pod).ok());
  pod = Pod();
  pod.netns_path = "relative/ns";
  EXPECT_THAT(ValidateRequest(pod).message(), HasSubstr("not absolute"));
}

TEST(PortMappingsTest, NormalizesProtocolAndDropsZeroHostPort) {
  auto out = NormalizePortMappings(
      {{8080, 80, "TCP", ""}, {0, 81, "TCP", ""}, {5353, 53, "UDP", "127.0.0.1"}, {9, 9, "", ""}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].protocol, "tcp");
  EXPECT_EQ((*out)[1].protocol, "udp");
  EXPECT_EQ((*out)[1].host_ip, "127.0.0.1");
  EXPECT_EQ((*out)[2].protocol, "tcp");
  EXPECT_FALSE(NormalizePortMappings({{70000, 80, "tcp", ""}}).ok());
  EXPECT_FALSE(NormalizePortMappings({{80, 80, "icmp", ""}}).ok());
  EXPECT_FALSE(NormalizePortMappings({{80, 80, "tcp", "1.2.3.4; rm"}}).ok());
}

NetworkConfigList TwoPluginList() {
  auto list = ParseConfList(
      R"({"cniVersion":"1.0.0","name":"net","plugins":[{"type":"first","cniVersion":"0.1.0"},)"
      R"({"type":"portmap","capabilities":{"portMappings":true},"snat":true}]})");
  EXPECT_TRUE(list.ok());
  return *list;
}

TEST(BuildNetconfTest, InjectsNameVersionPrevResultAndCapabilities) {
  auto list = TwoPluginList();
  std::vector<PortMapping> pms = {{8080, 80, "tcp", "127.0.0.1"}};
  json first = BuildNetconf(list, list.plugins[0], std::nullopt, pms);
  EXPECT_EQ(first["name"], "net");
  EXPECT_EQ(first["cniVersion"], "1.0.0");  // the list's version wins
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_FALSE(first.contains("runtimeConfig"));  // no capability declared
  json prev = {{"cniVersion", "1.0.0"}, {"ips", json::array()}};
  json second = BuildNetconf(list, list.plugins[1], prev, pms);
  EXPECT_EQ(second["prevResult"], prev);
  EXPECT_EQ(second["snat"], true);
  EXPECT_EQ(second["runtimeConfig"]["portMappings"],
            json::parse(R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp",)"
                        R"("hostIP":"127.0.0.1"}])"));
  json none = BuildNetconf(list, list.plugins[1], prev, {});
  EXPECT_FALSE(none.contains("runtimeConfig"));
}

class InvokeTest : public ::testing::Test {
 protected:
  InvokeContext Ctx(CniCommand cmd) {
    InvokeContext ctx;
    ctx.command = cmd;
    ctx.container_id = "abc123";
    ctx.netns = "/run/netns/test";
    ctx.ifname = "eth0";
    ctx.cni_args = *BuildCniArgs(Pod());
    ctx.plugin_dirs = {"/nonexistent-first", plugins_.path()};
    ctx.timeout = std::chrono::seconds(20);
    return ctx;
  }
  NetworkConfigList OneList(const std::string& type) {
    return *ParseConfList(R"({"cniVersion":"1.0.0","name":"net","plugins":[{"type":")" + type +
                          R"("}]})");
  }
  TempDir plugins_;
};

TEST_F(InvokeTest, PassesCniEnvironmentAndNetconf) {
  InstallFake(plugins_.path(), "fake-ok", "rec");
  auto list = OneList("rec");
  auto out = InvokePlugin(Ctx(CniCommand::kAdd), list, list.plugins[0], std::nullopt);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(*out, HasSubstr("10.0.0.2/24"));
  std::string env = ReadFileOrEmpty(plugins_ / "rec.ADD.abc123.env");
  EXPECT_THAT(env, HasSubstr("CNI_COMMAND=ADD\n"));
  EXPECT_THAT(env, HasSubstr("CNI_CONTAINERID=abc123\n"));
  EXPECT_THAT(env, HasSubstr("CNI_NETNS=/run/netns/test\n"));
  EXPECT_THAT(env, HasSubstr("CNI_IFNAME=eth0\n"));
  EXPECT_THAT(env, HasSubstr("CNI_PATH=/nonexistent-first:" + plugins_.path() + "\n"));
  EXPECT_THAT(env, HasSubstr("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
                             "K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=uid-1\n"));
  json in = json::parse(ReadFileOrEmpty(plugins_ / "rec.ADD.abc123.stdin"));
  EXPECT_EQ(in["name"], "net");
  EXPECT_EQ(in["cniVersion"], "1.0.0");
  EXPECT_EQ(in["type"], "rec");
}

TEST_F(InvokeTest, PluginErrorJsonBecomesStatusNamingPlugin) {
  InstallFake(plugins_.path(), "fake-fail", "failer");
  auto list = OneList("failer");
  auto out = InvokePlugin(Ctx(CniCommand::kAdd), list, list.plugins[0], std::nullopt);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kInternal);
  EXPECT_EQ(out.status().message(),
            "CNI plugin \"failer\" (network \"net\") ADD failed: fake failure: no luck: "
            "asked to fail (code 7)");
}

TEST_F(InvokeTest, NonJsonFailureCarriesStderr) {
  InstallFake(plugins_.path(), "fake-garbage", "crasher");
  auto list = OneList("crasher");
  auto out = InvokePlugin(Ctx(CniCommand::kAdd), list, list.plugins[0], std::nullopt);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("\"crasher\""));
  EXPECT_THAT(out.status().message(), HasSubstr("exit status 2: panic: something broke"));
}

TEST_F(InvokeTest, MissingPluginIsNotFound) {
  auto list = OneList("ghost");
  auto out = InvokePlugin(Ctx(CniCommand::kAdd), list, list.plugins[0], std::nullopt);
  EXPECT_EQ(out.status().code(), Code::kNotFound);
  EXPECT_THAT(out.status().message(), HasSubstr("\"ghost\""));
}

TEST_F(InvokeTest, VersionCommand) {
  InstallFake(plugins_.path(), "fake-ok", "rec");
  auto list = OneList("rec");
  auto out = InvokePlugin(Ctx(CniCommand::kVersion), list, list.plugins[0], std::nullopt);
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(json::parse(*out)["supportedVersions"], Contains("1.0.0"));
}

bool ProcessGone(pid_t pid) {
  // Gone, or a zombie waiting for a reaper that is not us.
  std::string stat = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  auto close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z';
}

TEST_F(InvokeTest, TimeoutKillsPluginAndItsChildren) {
  InstallFake(plugins_.path(), "fake-hang", "hang");
  auto list = OneList("hang");
  auto ctx = Ctx(CniCommand::kAdd);
  ctx.timeout = std::chrono::milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  auto out = InvokePlugin(ctx, list, list.plugins[0], std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(out.status().message(), HasSubstr("\"hang\""));
  std::string pid_text = ReadFileOrEmpty(plugins_ / "hang.child-pid");
  ASSERT_FALSE(pid_text.empty());
  pid_t child = std::stoi(pid_text);
  EXPECT_TRUE(testing::WaitFor([&] { return ProcessGone(child); }));
}

TEST(RunPluginTest, NoDescriptorLeaksIntoChild) {
  TempDir d;
  // Open in the daemon without O_CLOEXEC (as a library, or whoever started
  // berthd, may leave one): the plugin must still not receive it.
  // Placed high (F_DUPFD, which leaves it inheritable) so that no descriptor
  // the spawn itself places low can take its number by chance.
  const std::string marker = d / "inheritable-marker";
  int opened = open(marker.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(opened, 0);
  int inheritable = fcntl(opened, F_DUPFD, 64);
  close(opened);
  ASSERT_GE(inheritable, 64);
  ASSERT_EQ(fcntl(inheritable, F_GETFD) & FD_CLOEXEC, 0);
  // A fake plugin that lists its own descriptors and what they point to.
  const std::string script = d / "fds";
  testing::WriteFile(script, "#!/bin/sh\nls -ln /proc/$$/fd\n");
  chmod(script.c_str(), 0755);
  ExecRequest req;
  req.path = script;
  req.env = {"PATH=/usr/bin:/bin"};
  auto listed = RunPlugin(req);
  close(inheritable);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->exit_code, 0);
  EXPECT_THAT(listed->out, Not(HasSubstr(marker)));
  // stdin/stdout/stderr, plus the shell's own descriptor for the script and
  // ls's for the directory it lists: nothing of ours.
  std::istringstream lines(listed->out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;  // "total 0"
    ++count;
    int fd = std::stoi(line.substr(line.rfind(' ', arrow - 1) + 1));
    std::string target = line.substr(arrow + 4);
    EXPECT_TRUE(fd <= 2 || target == script ||
                (target.starts_with("/proc/") && target.ends_with("/fd")))
        << "leaked fd " << fd << " in\n"
        << listed->out;
  }
  EXPECT_GE(count, 3) << listed->out;
}

TEST(RunPluginTest, LargeStdinAndStdoutDoNotDeadlock) {
  TempDir d;
  testing::WriteFile(d / "echo", "#!/bin/sh\ncat\n");
  chmod((d / "echo").c_str(), 0755);
  ExecRequest req;
  req.path = d / "echo";
  req.env = {"PATH=/usr/bin:/bin"};
  req.stdin_data = std::string(1 << 20, 'x');
  auto out = RunPlugin(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->out.size(), req.stdin_data.size());
}

}  // namespace
}  // namespace berth::cni
