#include "pkg/platform/ccg_instances.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pkg/platform/fake_hcs_client.h"

namespace berth::platform {
namespace {

constexpr std::string_view kSpec = R"({"CmsPlugins":["ActiveDirectory"]})";
constexpr std::string_view kCid = "c0ffee";

struct CcgFixture : ::testing::Test {
  std::shared_ptr<FakeHcsState> hcs = std::make_shared<FakeHcsState>();
  MemoryAuditLogger audit;
  HcsCcgInstances ccg{std::make_unique<FakeHcsClient>(hcs), audit};
};

TEST(CcgRequestJsonTest, AddRequestUsesTheHcsSchemaNames) {
  const auto doc = nlohmann::json::parse(CcgAddRequestJson("abc", kSpec, CcgTransport::kHvSocket));
  EXPECT_EQ(doc["PropertyType"], "ContainerCredentialGuard");
  EXPECT_EQ(doc["Settings"]["Operation"], "AddInstance");
  EXPECT_EQ(doc["Settings"]["OperationDetails"]["Id"], "abc");
  EXPECT_EQ(doc["Settings"]["OperationDetails"]["CredentialSpec"], kSpec);
  EXPECT_EQ(doc["Settings"]["OperationDetails"]["Transport"], "HvSocket");
  const auto lrpc = nlohmann::json::parse(CcgAddRequestJson("abc", kSpec, CcgTransport::kLrpc));
  EXPECT_EQ(lrpc["Settings"]["OperationDetails"]["Transport"], "LRPC");
}

TEST(CcgRequestJsonTest, RemoveRequestAndQuery) {
  const auto doc = nlohmann::json::parse(CcgRemoveRequestJson("abc"));
  EXPECT_EQ(doc["Settings"]["Operation"], "RemoveInstance");
  EXPECT_EQ(doc["Settings"]["OperationDetails"]["Id"], "abc");
  EXPECT_FALSE(doc["Settings"]["OperationDetails"].contains("CredentialSpec"));
  EXPECT_EQ(nlohmann::json::parse(CcgQueryJson())["PropertyTypes"][0], "ContainerCredentialGuard");
}

TEST(CcgParseTest, ToleratesNoInstancesAndRejectsGarbage) {
  EXPECT_TRUE(ParseCcgInstances(R"({"Properties":[{}]})")->empty());
  EXPECT_TRUE(ParseCcgInstances(R"({"Properties":[{"Instances":null}]})")->empty());
  EXPECT_FALSE(ParseCcgInstances("nope").ok());
  EXPECT_FALSE(ParseCcgInstances(R"({"Properties":[]})").ok());
  EXPECT_FALSE(ParseCcgInstances(R"({"Properties":[{"Instances":3}]})").ok());
  auto one = ParseCcgInstances(
      R"({"Properties":[{"Instances":[{"Id":"a","CredentialGuard":{"Cookie":"1"}},{"NoId":1}]}]})");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, "a");
  EXPECT_EQ((*one)[0].state_json, R"({"Cookie":"1"})");
}

TEST_F(CcgFixture, AddCreatesFindsAndReturnsTheInstance) {
  auto inst = ccg.Add(kCid, kSpec, CcgTransport::kLrpc);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->id, kCid);
  EXPECT_NE(inst->state_json.find("RpcEndpoint"), std::string::npos);
  EXPECT_EQ(hcs->Instances().at(std::string(kCid)), "LRPC");
  auto found = ccg.Find(kCid);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, kCid);
}

TEST_F(CcgFixture, HypervisorIsolatedUsesHvSocket) {
  auto inst = ccg.Add(kCid, kSpec, CcgTransport::kHvSocket);
  ASSERT_TRUE(inst.ok());
  EXPECT_FALSE(inst->hv_socket_json.empty());
  EXPECT_EQ(hcs->Instances().at(std::string(kCid)), "HvSocket");
}

TEST_F(CcgFixture, SecondAddForOneContainerIsAlreadyExists) {
  ASSERT_TRUE(ccg.Add(kCid, kSpec, CcgTransport::kLrpc).ok());
  auto again = ccg.Add(kCid, kSpec, CcgTransport::kLrpc);
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(hcs->Instances().size(), 1u);
}

TEST_F(CcgFixture, AddValidatesTheSpecBeforeCallingHcs) {
  EXPECT_EQ(ccg.Add(kCid, "{broken", CcgTransport::kLrpc).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(hcs->Calls().empty());
}

TEST_F(CcgFixture, AddFailureLeavesNothingBehind) {
  hcs->FailNextModify(Internal("HcsModifyServiceSettings: The RPC server is unavailable."));
  auto inst = ccg.Add(kCid, kSpec, CcgTransport::kLrpc);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.status().message().find("RPC server"), std::string::npos);
  EXPECT_TRUE(hcs->Instances().empty());
}

TEST_F(CcgFixture, AddedButNotListedIsReleasedAgain) {
  hcs->HideNextAdd();
  auto inst = ccg.Add(kCid, kSpec, CcgTransport::kLrpc);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kInternal);
  const auto calls = hcs->Calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().operation, "RemoveInstance");
  EXPECT_EQ(calls.back().id, kCid);
}

TEST_F(CcgFixture, ReleaseRemovesAndIsIdempotent) {
  ASSERT_TRUE(ccg.Add(kCid, kSpec, CcgTransport::kLrpc).ok());
  ASSERT_TRUE(ccg.Release(kCid).ok());
  EXPECT_TRUE(hcs->Instances().empty());
  EXPECT_TRUE(ccg.Release(kCid).ok());
  int removes = 0;
  for (const auto& call : hcs->Calls()) removes += call.operation == "RemoveInstance";
  EXPECT_EQ(removes, 1);
}

TEST_F(CcgFixture, ReleaseTouchesOnlyItsOwnContainer) {
  ASSERT_TRUE(ccg.Add("aaa", kSpec, CcgTransport::kLrpc).ok());
  ASSERT_TRUE(ccg.Add("bbb", kSpec, CcgTransport::kLrpc).ok());
  ASSERT_TRUE(ccg.Release("aaa").ok());
  EXPECT_EQ(hcs->Instances().size(), 1u);
  EXPECT_TRUE(hcs->Instances().contains("bbb"));
  auto all = ccg.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
}

TEST_F(CcgFixture, AuditLinesNeverCarryTheSpec) {
  const std::string secret = R"({"DomainJoinConfig":{"Sid":"S-1-5-21-SECRET"}})";
  ASSERT_TRUE(ccg.Add(kCid, secret, CcgTransport::kLrpc).ok());
  ASSERT_TRUE(ccg.Release(kCid).ok());
  const auto lines = audit.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("op=\"ccg-add\""), std::string::npos);
  EXPECT_NE(lines[1].find("op=\"ccg-release\""), std::string::npos);
  for (const auto& line : lines) {
    EXPECT_NE(line.find("container=\"c0ffee\""), std::string::npos) << line;
    EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace berth::platform
