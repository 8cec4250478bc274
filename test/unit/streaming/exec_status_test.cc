// The error channel's last word per remote-command protocol version: parsed
// as the client parses it, not compared as a string.
#include "pkg/streaming/exec_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::streaming {
namespace {

using nlohmann::json;

ExecOutcome Exited(int code) {
  return ExecOutcome{OkStatus(), code};
}

json Parse(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << s;
  return j;
}

TEST(ExecStatusTest, V4SuccessIsAStatusObject) {
  for (int version : {4, 5}) {
    for (ExecOutcome outcome : {Exited(0), ExecOutcome{}}) {
      json j = Parse(ErrorChannelMessage(version, outcome));
      EXPECT_EQ(j["status"], "Success");
      EXPECT_EQ(j["metadata"], json::object());
      EXPECT_FALSE(j.contains("reason"));
    }
  }
}

TEST(ExecStatusTest, V4NonZeroExitCarriesTheCodeAsACause) {
  json j = Parse(ErrorChannelMessage(4, Exited(3)));
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["reason"], "NonZeroExitCode");
  ASSERT_TRUE(j["details"]["causes"].is_array());
  ASSERT_EQ(j["details"]["causes"].size(), 1u);
  EXPECT_EQ(j["details"]["causes"][0]["reason"], "ExitCode");
  // client-go parses the cause's message as the integer exit code.
  EXPECT_EQ(j["details"]["causes"][0]["message"], "3");
  EXPECT_NE(j["message"].get<std::string>().find('3'), std::string::npos);
}

TEST(ExecStatusTest, V4FailureIsAnInternalError) {
  json j = Parse(ErrorChannelMessage(5, ExecOutcome{NotFound("container abc is gone"), 0}));
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["reason"], "InternalError");
  EXPECT_EQ(j["code"], 500);
  EXPECT_EQ(j["message"], "container abc is gone");
}

TEST(ExecStatusTest, BeforeV4SuccessSaysNothingAndFailureIsPlainText) {
  for (int version : {1, 2, 3}) {
    EXPECT_EQ(ErrorChannelMessage(version, Exited(0)), "");
    EXPECT_EQ(ErrorChannelMessage(version, ExecOutcome{}), "");
    std::string exit3 = ErrorChannelMessage(version, Exited(3));
    EXPECT_NE(exit3.find("exit status 3"), std::string::npos) << exit3;
    EXPECT_NE(exit3.front(), '{');
    EXPECT_EQ(ErrorChannelMessage(version, ExecOutcome{Internal("runc exec failed"), {}}),
              "runc exec failed");
  }
}

}  // namespace
}  // namespace berth::streaming
