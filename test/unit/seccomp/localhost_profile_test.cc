#include <sys/stat.h>

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"
#include "pkg/seccomp/libseccomp_names.h"
#include "pkg/seccomp/profile_parser.h"
#include "pkg/seccomp/seccomp_profile.h"
#include "test/unit/seccomp/plain_allowed.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;
using test_support::PlainAllowed;
using ::testing::HasSubstr;

std::string TestDataPath(const char* name) {
  return std::string(BERTH_TESTDATA_DIR) + "/seccomp/" + name;
}

ConditionContext Context(const char* arch = nullptr, KernelVersion kernel = {6, 1},
                         std::vector<std::string> caps = {}) {
  return ConditionContext{CapabilitySet(caps), arch ? ArchToken(arch) : NativeArchToken(), kernel};
}

Result<json> Parse(const std::string& text, const ConditionContext& context = Context()) {
  return ParseProfileText("/p.json", text, context);
}

// ---- accepted profiles ----

TEST(LocalhostProfileTest, OciFormComesBackInOciForm) {
  Result<json> profile = Parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": null},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}
    ]})");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(*profile, json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}
    ]})"));
}

TEST(LocalhostProfileTest, DockerFormBecomesOciForm) {
  Result<json> profile = Parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "comment": "old single-name form",
       "args": [], "includes": {}, "excludes": {}}
    ]})");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(*profile, json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})"));
}

constexpr const char* kArchMapProfile = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ]})";

TEST(LocalhostProfileTest, ArchMapPicksTheNativeEntryAndItsSubArchitectures) {
  Result<json> x86 = Parse(kArchMapProfile, Context("SCMP_ARCH_X86_64"));
  ASSERT_TRUE(x86.ok()) << x86.status().ToString();
  EXPECT_EQ((*x86)["architectures"],
            json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  Result<json> arm = Parse(kArchMapProfile, Context("SCMP_ARCH_AARCH64"));
  ASSERT_TRUE(arm.ok()) << arm.status().ToString();
  EXPECT_EQ((*arm)["architectures"], json::array({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  Result<json> other = Parse(kArchMapProfile, Context("SCMP_ARCH_S390X"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->contains("architectures"));  // the runtime's native arch only
}

// A profile whose one rule (on mkdir) carries `condition`.
std::string ConditionalProfile(const std::string& condition) {
  return R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", )" +
         condition + "}]}";
}

bool RuleKept(const std::string& condition, const ConditionContext& context) {
  Result<json> profile = Parse(ConditionalProfile(condition), context);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  return profile.ok() && (*profile)["syscalls"].size() == 1;
}

TEST(LocalhostProfileTest, IncludesArchesMatchTheNativeArchitecture) {
  const std::string condition = R"("includes": {"arches": ["arm64", "arm"]})";
  EXPECT_TRUE(RuleKept(condition, Context("SCMP_ARCH_AARCH64")));
  EXPECT_FALSE(RuleKept(condition, Context("SCMP_ARCH_X86_64")));
  EXPECT_TRUE(
      RuleKept(R"("includes": {"arches": ["SCMP_ARCH_X86_64"]})", Context("SCMP_ARCH_X86_64")));
}

TEST(LocalhostProfileTest, ExcludesArchesDropTheRuleOnTheNativeArchitecture) {
  const std::string condition = R"("excludes": {"arches": ["amd64"]})";
  EXPECT_FALSE(RuleKept(condition, Context("SCMP_ARCH_X86_64")));
  EXPECT_TRUE(RuleKept(condition, Context("SCMP_ARCH_AARCH64")));
}

TEST(LocalhostProfileTest, MinKernelComparesWithTheRunningKernel) {
  EXPECT_TRUE(RuleKept(R"("includes": {"minKernel": "4.8"})", Context(nullptr, {4, 8})));
  EXPECT_TRUE(RuleKept(R"("includes": {"minKernel": "4.8"})", Context(nullptr, {5, 0})));
  EXPECT_FALSE(RuleKept(R"("includes": {"minKernel": "4.8"})", Context(nullptr, {4, 4})));
  EXPECT_FALSE(RuleKept(R"("excludes": {"minKernel": "5.10"})", Context(nullptr, {6, 1})));
  EXPECT_TRUE(RuleKept(R"("excludes": {"minKernel": "5.10"})", Context(nullptr, {5, 4})));
}

TEST(LocalhostProfileTest, CapsConditionsUseTheContainerCapabilities) {
  const std::string includes = R"("includes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]})";
  EXPECT_TRUE(RuleKept(includes, Context(nullptr, {6, 1}, {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"})));
  EXPECT_FALSE(RuleKept(includes, Context(nullptr, {6, 1}, {"CAP_SYS_ADMIN"})));  // needs all
  const std::string excludes = R"("excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]})";
  EXPECT_FALSE(RuleKept(excludes, Context(nullptr, {6, 1}, {"CAP_NET_ADMIN"})));  // any drops
  EXPECT_TRUE(RuleKept(excludes, Context(nullptr, {6, 1}, {"CAP_CHOWN"})));
}

TEST(LocalhostProfileTest, LoadWithoutCapabilitiesTreatsTheContainerAsHoldingNone) {
  Result<json> profile = LoadLocalhostProfile(TestDataPath("deny-mkdir-docker.json"));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  bool chroot_refused = false;
  for (const json& rule : (*profile)["syscalls"]) {
    if (rule["names"] == json::array({"chroot"})) chroot_refused = true;
  }
  EXPECT_TRUE(chroot_refused) << *profile;  // its "excludes CAP_SYS_CHROOT" does not apply
}

TEST(LocalhostProfileTest, TestdataDenyMkdirLoads) {
  Result<json> profile = LoadLocalhostProfile(TestDataPath("deny-mkdir.json"));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(*profile, json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})"));
}

TEST(LocalhostProfileTest, TestdataDockerFormLoads) {
  Result<json> profile = LoadLocalhostProfile(TestDataPath("deny-mkdir-docker.json"));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ((*profile)["syscalls"][0],
            json::parse(R"({"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                            "errnoRet": 1})"));
  if (NativeArchName() == "SCMP_ARCH_X86_64") {
    EXPECT_EQ((*profile)["architectures"],
              json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    EXPECT_EQ((*profile)["syscalls"].size(), 3u);  // keyctl rule included on x86
  }
}

// ---- refused profiles: each error names the file and the item ----

struct ErrorCase {
  const char* name;
  const char* profile;
  const char* message;  // after "seccomp profile /p.json: "
};

class LocalhostProfileErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LocalhostProfileErrorTest, NamesTheOffendingItem) {
  Result<json> profile = Parse(GetParam().profile);
  ASSERT_FALSE(profile.ok());
  EXPECT_EQ(profile.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(profile.status().message(),
            std::string("seccomp profile /p.json: ") + GetParam().message);
}

#define PROFILE(body) "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " body "}"
#define RULE(body) PROFILE("\"syscalls\": [{\"names\": [\"mkdir\"], " body "}]")

INSTANTIATE_TEST_SUITE_P(
    Cases, LocalhostProfileErrorTest,
    ::testing::Values(
        ErrorCase{"NotAnObject", "[]", "profile must be an object, not an array"},
        ErrorCase{"UnknownTopField", PROFILE("\"bogus\": 1"),
                  "profile has unknown field \"bogus\""},
        ErrorCase{"MissingDefaultAction", "{}", "defaultAction is missing"},
        ErrorCase{"UnknownDefaultAction", R"({"defaultAction": "SCMP_ACT_DENY"})",
                  "defaultAction \"SCMP_ACT_DENY\" is not a known action"},
        ErrorCase{"NotifyAsDefault", R"({"defaultAction": "SCMP_ACT_NOTIFY"})",
                  "defaultAction SCMP_ACT_NOTIFY is not allowed (runc refuses it)"},
        ErrorCase{"DefaultErrnoWithAllow", PROFILE("\"defaultErrnoRet\": 1"),
                  "defaultErrnoRet is set but defaultAction SCMP_ACT_ALLOW takes no errno"},
        ErrorCase{"NegativeDefaultErrno",
                  R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})",
                  "defaultErrnoRet -1 must be an integer from 0 to 4095"},
        ErrorCase{"UnknownArchitecture",
                  PROFILE(R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"])"),
                  "architectures[1] \"SCMP_ARCH_Z80\" is not a known architecture"},
        ErrorCase{"LowerCaseArchitecture", PROFILE(R"("architectures": ["SCMP_ARCH_x86_64"])"),
                  "architectures[0] \"SCMP_ARCH_x86_64\" is not a known architecture"},
        ErrorCase{"ArchitecturesAndArchMap",
                  PROFILE(R"("architectures": ["SCMP_ARCH_X86_64"], "archMap": [])"),
                  "both architectures and archMap are set; use one"},
        ErrorCase{"UnknownSubArchitecture",
                  PROFILE(R"("archMap": [{"architecture": "SCMP_ARCH_AARCH64",
                                          "subArchitectures": ["SCMP_ARCH_ARM", "arm"]}])"),
                  "archMap[0].subArchitectures[1] \"arm\" is not a known architecture"},
        ErrorCase{"UnknownArchMapField",
                  PROFILE(R"("archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArches": []}])"),
                  "archMap[0] has unknown field \"subArches\""},
        ErrorCase{"UnknownFlag", PROFILE(R"("flags": ["SECCOMP_FILTER_FLAG_NONE"])"),
                  "flags[0] \"SECCOMP_FILTER_FLAG_NONE\" is not a known flag"},
        ErrorCase{"RelativeListenerPath", PROFILE(R"("listenerPath": "agent.sock")"),
                  "listenerPath \"agent.sock\" must be an absolute socket path"},
        ErrorCase{"MetadataWithoutListener", PROFILE(R"("listenerMetadata": "x")"),
                  "listenerMetadata is set without listenerPath"},
        ErrorCase{"NotifyWithoutListener", RULE(R"("action": "SCMP_ACT_NOTIFY")"),
                  "syscalls[0].action SCMP_ACT_NOTIFY needs listenerPath"},
        ErrorCase{"SyscallsNotArray", PROFILE(R"("syscalls": {})"),
                  "syscalls must be an array, not an object"},
        ErrorCase{"UnknownSyscallField", PROFILE(R"("syscalls": [{"nmes": ["mkdir"]}])"),
                  "syscalls[0] has unknown field \"nmes\""},
        ErrorCase{"MissingNames", PROFILE(R"("syscalls": [{"action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[0].names is missing"},
        ErrorCase{
            "NamesAndName",
            PROFILE(R"("syscalls": [{"names": ["a"], "name": "b", "action": "SCMP_ACT_ERRNO"}])"),
            "syscalls[0] sets both names and name; use one"},
        ErrorCase{"EmptyNames",
                  PROFILE(R"("syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[0].names is empty"},
        ErrorCase{"UnknownSyscall",
                  PROFILE(R"("syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
                                          {"names": ["mkdir", "mkdr"], "action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[1].names[1] \"mkdr\" is not a known syscall"},
        ErrorCase{"UnknownSingleName",
                  PROFILE(R"("syscalls": [{"name": "mkdr", "action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[0].name \"mkdr\" is not a known syscall"},
        ErrorCase{"UpperCaseSyscall",
                  PROFILE(R"("syscalls": [{"names": ["MKDIR"], "action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[0].names[0] \"MKDIR\" is not a known syscall"},
        ErrorCase{"NumberAsSyscall",
                  PROFILE(R"("syscalls": [{"names": [83], "action": "SCMP_ACT_ERRNO"}])"),
                  "syscalls[0].names[0] 83 is not a known syscall"},
        ErrorCase{
            "ControlCharsEscaped",
            PROFILE(R"("syscalls": [{"names": ["mk\u0001dir"], "action": "SCMP_ACT_ERRNO"}])"),
            "syscalls[0].names[0] \"mk\\u0001dir\" is not a known syscall"},
        ErrorCase{"MissingAction", PROFILE(R"("syscalls": [{"names": ["mkdir"]}])"),
                  "syscalls[0].action is missing"},
        ErrorCase{"UnknownAction", RULE(R"("action": "SCMP_ACT_DENY")"),
                  "syscalls[0].action \"SCMP_ACT_DENY\" is not a known action"},
        ErrorCase{"ErrnoWithAllow", RULE(R"("action": "SCMP_ACT_ALLOW", "errnoRet": 1)"),
                  "syscalls[0].errnoRet is set but action SCMP_ACT_ALLOW takes no errno"},
        ErrorCase{"ErrnoTooLarge", RULE(R"("action": "SCMP_ACT_ERRNO", "errnoRet": 5000)"),
                  "syscalls[0].errnoRet 5000 must be an integer from 0 to 4095"},
        ErrorCase{
            "ArgIndexTooLarge",
            RULE(
                R"("action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}])"),
            "syscalls[0].args[0].index 6 must be an integer from 0 to 5"},
        ErrorCase{
            "NegativeArgValue",
            RULE(
                R"("action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}])"),
            "syscalls[0].args[0].value -1 must be an integer from 0 to 18446744073709551615"},
        ErrorCase{"FractionalValueTwo", RULE(R"("action": "SCMP_ACT_ERRNO",
                          "args": [{"index": 0, "value": 1, "valueTwo": 0.5, "op": "SCMP_CMP_EQ"}])"),
                  "syscalls[0].args[0].valueTwo a fractional number must be an integer from 0 to "
                  "18446744073709551615"},
        ErrorCase{"UnknownOperator", RULE(R"("action": "SCMP_ACT_ERRNO", "args": [
                          {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                          {"index": 1, "value": 1, "op": "SCMP_CMP_LIKE"}])"),
                  "syscalls[0].args[1].op \"SCMP_CMP_LIKE\" is not a known operator"},
        ErrorCase{"MissingOperator",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1}])"),
                  "syscalls[0].args[0].op is missing"},
        ErrorCase{
            "UnknownArgField",
            RULE(
                R"("action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "val": 1, "op": "SCMP_CMP_EQ"}])"),
            "syscalls[0].args[0] has unknown field \"val\""},
        ErrorCase{"TooManyArgs",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "args": [{}, {}, {}, {}, {}, {}, {}])"),
                  "syscalls[0].args has 7 conditions; at most 6"},
        ErrorCase{"CommentNotString", RULE(R"("action": "SCMP_ACT_ERRNO", "comment": 7)"),
                  "syscalls[0].comment must be a string, not 7"},
        ErrorCase{"BadIncludesCap",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "includes": {"caps": ["sys_admin"]})"),
                  "syscalls[0].includes.caps[0] \"sys_admin\" is not a capability name"},
        ErrorCase{"BadIncludesArch",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "includes": {"arches": ["z80"]})"),
                  "syscalls[0].includes.arches[0] \"z80\" is not a known architecture"},
        ErrorCase{"BadExcludesMinKernel",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "excludes": {"minKernel": "4"})"),
                  "syscalls[0].excludes.minKernel \"4\" is not a kernel version (major.minor)"},
        ErrorCase{"UnknownIncludesField",
                  RULE(R"("action": "SCMP_ACT_ERRNO", "includes": {"kernel": "4.8"})"),
                  "syscalls[0].includes has unknown field \"kernel\""}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(LocalhostProfileTest, RefusesTextThatIsNotJson) {
  Result<json> profile = Parse("{\"defaultAction\": ");
  ASSERT_FALSE(profile.ok());
  EXPECT_EQ(profile.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(profile.status().message(), HasSubstr("seccomp profile /p.json: not valid JSON: "));
}

TEST(LocalhostProfileTest, RefusesDeepNesting) {
  const std::string text = std::string(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": )") +
                           std::string(100, '[') + std::string(100, ']') + "}";
  Result<json> profile = Parse(text);
  ASSERT_FALSE(profile.ok());
  EXPECT_EQ(profile.status().message(), "seccomp profile /p.json: nested deeper than 16 levels");
}

// ---- files ----

Status LoadError(const std::string& path) {
  Result<json> profile = LoadLocalhostProfile(path);
  return profile.ok() ? OkStatus() : profile.status();
}

TEST(LocalhostProfileFileTest, TestdataUnknownSyscallNamesFileAndItem) {
  const std::string path = TestDataPath("unknown-syscall.json");
  EXPECT_EQ(LoadError(path).message(),
            "seccomp profile " + path + ": syscalls[1].names[1] \"mkdr\" is not a known syscall");
}

TEST(LocalhostProfileFileTest, TestdataUnknownActionNamesFileAndItem) {
  const std::string path = TestDataPath("unknown-action.json");
  EXPECT_EQ(
      LoadError(path).message(),
      "seccomp profile " + path + ": syscalls[0].action \"SCMP_ACT_DENY\" is not a known action");
}

TEST(LocalhostProfileFileTest, TestdataTruncatedJsonIsRefused) {
  const std::string path = TestDataPath("not-json.json");
  EXPECT_THAT(LoadError(path).message(), HasSubstr("seccomp profile " + path + ": not valid JSON"));
}

TEST(LocalhostProfileFileTest, MissingFile) {
  const Status status = LoadError("/nonexistent/berth/p.json");
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_EQ(status.message(), "seccomp profile /nonexistent/berth/p.json: file does not exist");
}

TEST(LocalhostProfileFileTest, RelativePath) {
  EXPECT_EQ(LoadError("profiles/p.json").message(),
            "seccomp profile profiles/p.json: path must be absolute");
}

TEST(LocalhostProfileFileTest, DirectoryAndFifoAreNotRegularFiles) {
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-seccomp-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(LoadError(dir->path()).message(),
            "seccomp profile " + dir->path() + ": not a regular file");
  // A FIFO with no writer would block a plain open(); this must return.
  const std::string fifo = dir->path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(LoadError(fifo).message(), "seccomp profile " + fifo + ": not a regular file");
}

TEST(LocalhostProfileFileTest, FileOverOneMebibyteIsRefused) {
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-seccomp-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string path = dir->path() + "/big.json";
  {
    std::ofstream out(path);
    out << PROFILE("\"comment\": \"") << std::string(kMaxProfileBytes, ' ') << "\"}";
  }
  EXPECT_EQ(LoadError(path).message(),
            "seccomp profile " + path + ": file is larger than 1048576 bytes");
}

TEST(LocalhostProfileFileTest, ControlCharactersInThePathAreEscaped) {
  EXPECT_EQ(LoadError("/tmp/no\nsuch").message(),
            "seccomp profile \"/tmp/no\\nsuch\": file does not exist");
}

// ---- ProfileFor ----

TEST(ProfileForTest, UnconfinedAndPrivilegedGetNoFilter) {
  for (ProfileType type :
       {ProfileType::kUnconfined, ProfileType::kRuntimeDefault, ProfileType::kLocalhost}) {
    Result<std::optional<json>> privileged =
        ProfileFor(type, TestDataPath("deny-mkdir.json"), /*privileged=*/true, {});
    ASSERT_TRUE(privileged.ok()) << privileged.status().ToString();
    EXPECT_FALSE(privileged->has_value());
  }
  Result<std::optional<json>> unconfined = ProfileFor(ProfileType::kUnconfined, "", false, {});
  ASSERT_TRUE(unconfined.ok());
  EXPECT_FALSE(unconfined->has_value());
}

TEST(ProfileForTest, RuntimeDefaultUsesTheCapabilities) {
  const std::vector<std::string> caps = {"CAP_SYS_PTRACE"};
  Result<std::optional<json>> profile = ProfileFor(ProfileType::kRuntimeDefault, "", false, caps);
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  ASSERT_TRUE(profile->has_value());
  // Judged by what the profile says, not by comparing with
  // RuntimeDefaultProfile's own output: refuse by default, allow the
  // ordinary calls, and open ptrace only because CAP_SYS_PTRACE was given.
  EXPECT_EQ((**profile)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_TRUE(PlainAllowed(**profile).count("read"));
  EXPECT_TRUE(PlainAllowed(**profile).count("ptrace"));
  EXPECT_FALSE(PlainAllowed(**profile).count("mount"));  // CAP_SYS_ADMIN's, not given
  Result<std::optional<json>> without = ProfileFor(ProfileType::kRuntimeDefault, "", false, {});
  ASSERT_TRUE(without.ok() && without->has_value());
  EXPECT_FALSE(PlainAllowed(**without).count("ptrace"));
}

TEST(ProfileForTest, LocalhostLoadsTheFileWithTheContainerCapabilities) {
  const std::string path = TestDataPath("deny-mkdir-docker.json");
  Result<std::optional<json>> without = ProfileFor(ProfileType::kLocalhost, path, false, {});
  Result<std::optional<json>> with =
      ProfileFor(ProfileType::kLocalhost, path, false, {"CAP_SYS_CHROOT"});
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  // The chroot rule "excludes" CAP_SYS_CHROOT: dropped only for the holder.
  EXPECT_EQ((**without)["syscalls"].size(), (**with)["syscalls"].size() + 1);
}

TEST(ProfileForTest, LocalhostErrors) {
  Result<std::optional<json>> empty = ProfileFor(ProfileType::kLocalhost, "", false, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("needs a profile path"));
  const std::string path = TestDataPath("unknown-syscall.json");
  Result<std::optional<json>> bad = ProfileFor(ProfileType::kLocalhost, path, false, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "seccomp profile " + path + ": syscalls[1].names[1] \"mkdr\" is not a known syscall");
}

}  // namespace
}  // namespace berth::seccomp
