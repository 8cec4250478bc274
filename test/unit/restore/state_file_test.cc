// Issue 15 item 1: every state.json and spec member restore reads is checked
// for type and range; a damaged one is an InvalidArgument naming the member
// (restore then quarantines the object), never a nlohmann exception that
// aborts berthd, and never a half-applied record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/container_record.h"
#include "daemon/sandbox_record.h"

namespace berth::daemon {
namespace {

using ::testing::HasSubstr;
namespace rt = runtime::v1;

struct Case {
  std::string json;
  std::string names;  // what the error must mention
};

TEST(SandboxStateFile, DamagedMembersAreErrorsNamingThemAndChangeNothing) {
  const std::vector<Case> cases = {
      {R"({"state":"ready","pid":"x"})", "\"pid\""},
      {R"({"state":"ready","pid":-1})", "\"pid\""},
      {R"({"state":"ready","pid":99999999999999999999})", "\"pid\""},
      {R"({"state":"ready","pid":1.5})", "\"pid\""},
      {R"({"state":7})", "\"state\""},
      {R"({"state":"sideways"})", "\"state\""},
      {R"({"state":"ready","ips":"10.0.0.1"})", "\"ips\""},
      {R"({"state":"ready","ips":[1,2]})", "\"ips\""},
      {R"({"state":"ready","network_attached":"yes"})", "\"network_attached\""},
      {R"({"state":"ready","resources":[]})", "\"resources\""},
      {R"({"state":"ready","overhead":{"cpu_shares":"many"}})", "\"overhead\""},
      {R"([])", "not a JSON object"},
      {R"({"state":"ready")", "not a JSON object"},
      {"", "not a JSON object"},
  };
  for (const Case& c : cases) {
    Sandbox s;
    s.state = rt::SANDBOX_NOTREADY;
    s.pid = 42;
    s.ips = {"192.0.2.1"};
    Status st = ApplySandboxStateJson(c.json, &s);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.json;
    EXPECT_THAT(st.message(), HasSubstr(c.names)) << c.json;
    EXPECT_EQ(s.state, rt::SANDBOX_NOTREADY) << c.json;
    EXPECT_EQ(s.pid, 42) << c.json;
    EXPECT_EQ(s.ips, std::vector<std::string>{"192.0.2.1"}) << c.json;
  }
}

TEST(SandboxStateFile, WhatBerthWritesReadsBack) {
  Sandbox s;
  s.state = rt::SANDBOX_READY;
  s.pid = 1234;
  s.ips = {"10.1.2.3", "fd00::3"};
  s.network_attached = true;
  Sandbox back;
  ASSERT_TRUE(ApplySandboxStateJson(SandboxStateJson(s), &back).ok());
  EXPECT_EQ(back.state, rt::SANDBOX_READY);
  EXPECT_EQ(back.pid, 1234);
  EXPECT_EQ(back.ips, s.ips);
  EXPECT_TRUE(back.network_attached);
}

TEST(ContainerStateFile, DamagedMembersAreErrorsNamingThemAndChangeNothing) {
  const std::vector<Case> cases = {
      {R"({"state":"running","pid":"x"})", "\"pid\""},
      {R"({"state":"running","exit_code":"three"})", "\"exit_code\""},
      {R"({"state":"exited","exit_code":4294967296})", "\"exit_code\""},
      {R"({"state":"exited","started_at":-5})", "\"started_at\""},
      {R"({"state":"exited","finished_at":{}})", "\"finished_at\""},
      {R"({"state":"exited","reason":17})", "\"reason\""},
      {R"({"state":"exited","message":["a"]})", "\"message\""},
      {R"({"state":"exited","resources":"none"})", "\"resources\""},
      {R"({"state":"exited","resources":{"memory_limit_in_bytes":"lots"}})", "\"resources\""},
      {R"({"state":"paused"})", "\"state\""},
      {R"({"pid":1})", "\"state\""},
      {R"("running")", "not a JSON object"},
  };
  for (const Case& c : cases) {
    Container k;
    k.state = rt::CONTAINER_CREATED;
    k.pid = 7;
    k.reason = "kept";
    Status st = ApplyContainerStateJson(c.json, &k);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.json;
    EXPECT_THAT(st.message(), HasSubstr(c.names)) << c.json;
    EXPECT_EQ(k.state, rt::CONTAINER_CREATED) << c.json;
    EXPECT_EQ(k.pid, 7) << c.json;
    EXPECT_EQ(k.reason, "kept") << c.json;
  }
}

TEST(ContainerStateFile, WhatBerthWritesReadsBack) {
  Container k;
  k.state = rt::CONTAINER_EXITED;
  k.pid = 0;
  k.started_at_ns = 1700000000000000000;
  k.finished_at_ns = 1700000000500000000;
  k.exit_code = -9;
  k.reason = "OOMKilled";
  k.message = "out of memory";
  k.resources.set_memory_limit_in_bytes(1 << 30);
  Container back;
  ASSERT_TRUE(ApplyContainerStateJson(ContainerStateJson(k), &back).ok());
  EXPECT_EQ(back.state, rt::CONTAINER_EXITED);
  EXPECT_EQ(back.started_at_ns, k.started_at_ns);
  EXPECT_EQ(back.finished_at_ns, k.finished_at_ns);
  EXPECT_EQ(back.exit_code, -9);
  EXPECT_EQ(back.reason, "OOMKilled");
  EXPECT_EQ(back.message, "out of memory");
  EXPECT_EQ(back.resources.memory_limit_in_bytes(), 1 << 30);
}

TEST(SpecProcessUser, DamagedUserIsAnErrorNamingIt) {
  const std::vector<Case> cases = {
      {R"("root")", "\"process\""},
      {R"({"user":"root"})", "process.user"},
      {R"({"user":{"uid":"0"}})", "\"uid\""},
      {R"({"user":{"uid":-1}})", "\"uid\""},
      {R"({"user":{"uid":0,"gid":4294967296}})", "\"gid\""},
      {R"({"user":{"uid":0,"gid":0,"additionalGids":"10"}})", "\"additionalGids\""},
      {R"({"user":{"uid":0,"gid":0,"additionalGids":[10,"x"]}})", "\"additionalGids\""},
  };
  for (const Case& c : cases) {
    Container k;
    k.uid = 5;
    Status st = ApplyProcessUser(nlohmann::json::parse(c.json), &k);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.json;
    EXPECT_THAT(st.message(), HasSubstr(c.names)) << c.json;
    EXPECT_EQ(k.uid, 5) << c.json;
  }
  Container k;
  ASSERT_TRUE(
      ApplyProcessUser(
          nlohmann::json::parse(R"({"user":{"uid":1000,"gid":100,"additionalGids":[4,27]}})"), &k)
          .ok());
  EXPECT_EQ(k.uid, 1000);
  EXPECT_EQ(k.gid, 100);
  EXPECT_EQ(k.supplemental_gids, (std::vector<int64_t>{4, 27}));
}

}  // namespace
}  // namespace berth::daemon
