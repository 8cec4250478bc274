// Issue 15 item 2: ExecSync once kept 16 MiB per stream plus a marker, more
// than the 16 MiB a gRPC message may carry, so a command writing 20 MB failed
// with ResourceExhausted ("Sent message larger than max") and its output was
// lost. The capped response now always fits. Also item 10's timeout: seconds
// beyond what milliseconds can hold once overflowed into an instant timeout.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "runtime/v1/api.grpc.pb.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// What the kubelet allows a CRI response (its maxMsgSize), and berthd's limit.
constexpr int kKubeletMaxMessageBytes = 16 << 20;

class ExecSyncLimitsTest : public RestoreFixture {
 protected:
  // A client configured like the kubelet's: a response up to 16 MiB arrives,
  // so a failure can only be berthd's own send limit.
  grpc::Status KubeletExec(const std::string& id, const std::string& script, int64_t timeout_s,
                           rt::ExecSyncResponse* out) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kKubeletMaxMessageBytes);
    auto channel =
        grpc::CreateCustomChannel(d_->endpoint(), grpc::InsecureChannelCredentials(), args);
    auto stub = rt::RuntimeService::NewStub(channel);
    rt::ExecSyncRequest req;
    req.set_container_id(id);
    for (const char* a : {"/bin/sh", "-c"}) req.add_cmd(a);
    req.add_cmd(script);
    req.set_timeout(timeout_s);
    return stub->ExecSync(Ctx(std::chrono::seconds(120)).get(), req, out);
  }
};

TEST_F(ExecSyncLimitsTest, OutputPastTheCapStillFitsInOneResponse) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string pod = RunPodOk("exec-limits");
  const std::string id = CreateAndStartOk(pod, TermExiting("flood"));

  // One stream, as in the issue (crictl exec -s <id> head -c 20000000 /dev/zero).
  rt::ExecSyncResponse one;
  grpc::Status s = KubeletExec(id, "head -c 20000000 /dev/zero; exit 4", 60, &one);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  EXPECT_EQ(one.exit_code(), 4);
  EXPECT_THAT(one.stdout(), EndsWith("[berth: output truncated; ExecSync keeps 8355840 bytes "
                                     "per stream]\n"));
  EXPECT_EQ(one.stdout().find_first_not_of('\0'), 8355840u) << "the kept output is the first bytes";
  EXPECT_TRUE(one.stderr().empty());

  // Both streams flooded at once: the whole response is still under the limit.
  rt::ExecSyncResponse both;
  s = KubeletExec(id, "head -c 20000000 /dev/zero & head -c 20000000 /dev/zero >&2; wait", 60,
                  &both);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  EXPECT_THAT(both.stdout(), HasSubstr("[berth: output truncated"));
  EXPECT_THAT(both.stderr(), HasSubstr("[berth: output truncated"));
  EXPECT_LT(both.ByteSizeLong(), static_cast<size_t>(kKubeletMaxMessageBytes));

  // Output under the cap is returned whole, unmarked.
  rt::ExecSyncResponse small;
  s = KubeletExec(id, "head -c 1000000 /dev/zero", 60, &small);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(small.stdout(), std::string(1000000, '\0'));

  // A timeout of the most seconds an int64 holds means "no practical limit".
  rt::ExecSyncResponse long_timeout;
  s = KubeletExec(id, "echo patient", std::numeric_limits<int64_t>::max(), &long_timeout);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  EXPECT_EQ(long_timeout.stdout(), "patient\n");

  ASSERT_EQ(ListContainers().size(), 1u) << "berthd lost the container";
  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
