#include "pkg/oci/runtime_cli.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// runc 1.1.5's `features` output, abridged (no mountExtensions: that is 1.2+).
constexpr char kRunc115Features[] = R"({
  "ociVersionMin": "1.0.0", "ociVersionMax": "1.0.2-dev",
  "hooks": ["prestart"],
  "mountOptions": ["bind", "ro", "rro", "rprivate"],
  "linux": {"namespaces": ["cgroup","ipc","mount","network","pid","user","uts"],
            "cgroup": {"v1": true, "v2": true}},
  "annotations": {"org.opencontainers.runc.version": "1.1.5+ds1"}})";

constexpr char kRunc12Features[] = R"({
  "mountOptions": ["bind", "ro"],
  "linux": {"namespaces": ["ipc","mount","network","pid","uts"],
            "mountExtensions": {"idmap": {"enabled": true}}}})";

TEST(ParseFeatures, Runc115) {
  auto f = ParseFeatures(kRunc115Features);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->recursive_read_only);
  EXPECT_TRUE(f->user_namespaces);
  EXPECT_FALSE(f->idmap_mounts);
  EXPECT_EQ(f->namespaces.size(), 7u);
  EXPECT_EQ(f->raw, kRunc115Features);
}

TEST(ParseFeatures, IdmapWithoutRroOrUserns) {
  auto f = ParseFeatures(kRunc12Features);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->recursive_read_only);
  EXPECT_FALSE(f->user_namespaces);
  EXPECT_TRUE(f->idmap_mounts);
}

TEST(ParseFeatures, GarbageIsError) {
  EXPECT_FALSE(ParseFeatures("not json").ok());
  EXPECT_FALSE(ParseFeatures("[1]").ok());
  auto empty = ParseFeatures("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->recursive_read_only);
}

TEST(ParseState, RunningContainer) {
  auto s = ParseState(R"({"ociVersion":"1.0.2-dev","id":"abc","pid":4242,"status":"running",
                          "bundle":"/b","rootfs":"/b/rootfs","created":"2024-01-01T00:00:00Z"})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "abc");
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->status, "running");
  EXPECT_EQ(s->bundle, "/b");
}

TEST(ParseState, AllStatusesAndBadOnes) {
  for (const char* st : {"creating", "created", "running", "paused", "stopped"}) {
    auto s = ParseState(std::string(R"({"id":"x","pid":0,"status":")") + st + "\"}");
    ASSERT_TRUE(s.ok()) << st;
    EXPECT_EQ(s->status, st);
  }
  EXPECT_FALSE(ParseState(R"({"id":"x","status":"zombie"})").ok());
  EXPECT_FALSE(ParseState("").ok());
}

TEST(CleanRuntimeError, ExtractsLogrusMessages) {
  EXPECT_EQ(CleanRuntimeError("time=\"2024\" level=error msg=\"container does not exist\"\n"),
            "container does not exist");
  EXPECT_EQ(CleanRuntimeError("  plain failure \n\n"), "plain failure");
  EXPECT_EQ(CleanRuntimeError("level=error msg=\"say \\\"hi\\\"\""), "say \"hi\"");
  EXPECT_TRUE(IsNotExistError("container does not exist"));
  EXPECT_FALSE(IsNotExistError("permission denied"));
}

// A fake runtime: records its argv, answers from env-free fixed behaviour.
class FakeRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-oci-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    script_ = dir_ + "/fake-runtime";
    std::ofstream(script_)
        << "#!/bin/sh\n"
           "printf '%s\\n' \"$@\" > " +
               dir_ +
               "/argv\n"
               "for a in \"$@\"; do last=\"$a\"; prev_cmd=\"$cmd\"; cmd=\"$a\"; done\n"
               "case \" $* \" in\n"
               "  *' state ghost'*|*' kill ghost'*|*' delete --force ghost'*)\n"
               "    echo 'time=\"x\" level=error msg=\"container does not exist\"' >&2; exit 1;;\n"
               "  *' state '*) echo '{\"id\":\"c1\",\"pid\":7,\"status\":\"running\"}';;\n"
               "  *' features'*) echo '{\"mountOptions\":[\"rro\"]}';;\n"
               "  *' kill c1 9'*) echo 'time=\"x\" level=error msg=\"permission denied\"' >&2; "
               "exit 1;;\n"
               "  *' update '*) cat > " +
               dir_ +
               "/stdin;;\n"
               "  *' start slow'*) exec sleep 30;;\n"
               "esac\n"
               "exit 0\n";
    chmod(script_.c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Argv() {
    std::ifstream in(dir_ + "/argv");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  OciRuntime Runtime(bool systemd = false) {
    return OciRuntime({"fake", script_, "/run/fake", systemd, std::chrono::seconds(10)});
  }

  std::string dir_, script_;
};

TEST_F(FakeRuntime, StateParsesAndPassesRoot) {
  auto st = Runtime().State("c1");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->pid, 7);
  EXPECT_THAT(Argv(), ElementsAre("--root", "/run/fake", "state", "c1"));
}

TEST_F(FakeRuntime, SystemdCgroupFlag) {
  ASSERT_TRUE(Runtime(true).Start("c1").ok());
  EXPECT_THAT(Argv(), ElementsAre("--root", "/run/fake", "--systemd-cgroup", "start", "c1"));
}

TEST_F(FakeRuntime, MissingContainerIsNotFound) {
  auto st = Runtime().State("ghost");
  EXPECT_EQ(st.status().code(), Code::kNotFound);
  EXPECT_EQ(st.status().message(), "fake state ghost: container does not exist");
  EXPECT_EQ(Runtime().Kill("ghost", 15).code(), Code::kNotFound);
}

TEST_F(FakeRuntime, KillErrorCarriesStderr) {
  Status s = Runtime().Kill("c1", 9);
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message(), "fake kill c1: permission denied");
  ASSERT_TRUE(Runtime().Kill("c1", 15, /*all=*/true).ok());
  EXPECT_THAT(Argv(), ElementsAre("--root", "/run/fake", "kill", "--all", "c1", "15"));
}

TEST_F(FakeRuntime, DeleteForceIsIdempotent) {
  EXPECT_TRUE(Runtime().Delete("ghost").ok());
  EXPECT_TRUE(Runtime().Delete("c1").ok());
  EXPECT_THAT(Argv(), ElementsAre("--root", "/run/fake", "delete", "--force", "c1"));
}

TEST_F(FakeRuntime, UpdatePassesResourcesOnStdin) {
  ASSERT_TRUE(Runtime().Update("c1", R"({"cpu":{"shares":512}})").ok());
  EXPECT_THAT(Argv(), ElementsAre("--root", "/run/fake", "update", "--resources", "-", "c1"));
  std::ifstream in(dir_ + "/stdin");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, R"({"cpu":{"shares":512}})");
}

TEST_F(FakeRuntime, Features) {
  auto f = Runtime().Features();
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->recursive_read_only);
}

TEST_F(FakeRuntime, HangingCallTimesOut) {
  OciRuntime rt({"fake", script_, "/run/fake", false, std::chrono::milliseconds(300)});
  Status s = rt.Start("slow");
  EXPECT_EQ(s.code(), Code::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("fake start slow"));
}

TEST(OciRuntime, MissingBinaryIsClearError) {
  OciRuntime rt({"", "/nonexistent/runc", "", false, std::chrono::seconds(5)});
  EXPECT_EQ(rt.name(), "runc");
  Status s = rt.Start("c1");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/runc"));
}

}  // namespace
}  // namespace berth::oci
