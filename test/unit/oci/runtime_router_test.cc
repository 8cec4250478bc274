#include "pkg/oci/runtime_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

using ::testing::HasSubstr;

RoutingConfig TwoRuntimes() {
  RoutingConfig c;
  c.runtimes["runc"] = {"/usr/sbin/runc", "/run/berth/runc", "oci", {}};
  c.runtimes["kata"] = {"/usr/bin/kata", "/run/berth/kata", "oci", {"io.berth.kata.*"}};
  c.runtimes["vmrt"] = {"/usr/bin/vmrt", "/run/berth/vmrt", "vm", {}};
  c.default_runtime = "runc";
  c.trusted_runtime = "runc";
  c.untrusted_runtime = "kata";
  return c;
}

PodRoutingInput Pod(std::map<std::string, std::string> annotations = {}) {
  PodRoutingInput p;
  p.name = "web";
  p.namespace_ = "default";
  p.annotations = std::move(annotations);
  return p;
}

struct Row {
  const char* name;
  std::string handler;
  bool privileged;
  std::map<std::string, std::string> annotations;
  std::string default_trust;
  bool have_untrusted;
  bool fallback;
  // Expected: runtime + trust, or an error code.
  std::string runtime;
  std::string trust;
  Code code;
  std::string message_part;
};

class RouterTable : public ::testing::TestWithParam<Row> {};

TEST_P(RouterTable, ChoosesExpectedRuntime) {
  const Row& row = GetParam();
  RoutingConfig c = TwoRuntimes();
  c.default_workload_trust = row.default_trust;
  c.untrusted_fallback_to_trusted = row.fallback;
  if (!row.have_untrusted) c.untrusted_runtime.clear();
  PodRoutingInput p = Pod(row.annotations);
  p.runtime_handler = row.handler;
  p.privileged = row.privileged;
  auto r = ChooseRuntime(c, p);
  if (row.code != Code::kOk) {
    ASSERT_FALSE(r.ok()) << row.name;
    EXPECT_EQ(r.status().code(), row.code) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(row.message_part));
    return;
  }
  ASSERT_TRUE(r.ok()) << row.name << ": " << r.status().ToString();
  EXPECT_EQ(r->name, row.runtime);
  EXPECT_EQ(r->trust, row.trust);
  EXPECT_EQ(r->path, c.runtimes[row.runtime].path);
  EXPECT_EQ(r->root, c.runtimes[row.runtime].root);
  EXPECT_FALSE(r->reason.empty());
  if (!row.message_part.empty()) {
    EXPECT_THAT(r->reason, HasSubstr(row.message_part));
  }
}

const char* kCrio = "io.kubernetes.cri-o.TrustedSandbox";
const char* kBerth = "io.berth.trusted-sandbox";
const char* kCtrd = "io.kubernetes.cri.untrusted-workload";
const Code kOk = Code::kOk;

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Rules, RouterTable,
    ::testing::Values(
        Row{"handler_runc", "runc", false, {}, "untrusted", true, false, "runc", "trusted", kOk,
            "runtime handler runc"},
        Row{"handler_kata_is_untrusted", "kata", false, {}, "trusted", true, false, "kata",
            "untrusted", kOk, ""},
        Row{"handler_beats_privileged", "kata", true, {}, "trusted", true, false, "kata",
            "untrusted", kOk, ""},
        Row{"handler_beats_annotation", "runc", false, {{kCrio, "false"}}, "trusted", true, false,
            "runc", "trusted", kOk, ""},
        Row{"unknown_handler_lists_sorted", "gvisor", false, {}, "trusted", true, false, "", "",
            Code::kInvalidArgument, "configured: kata, runc, vmrt"},
        Row{"vm_handler_refused", "vmrt", false, {}, "trusted", true, false, "", "",
            Code::kUnimplemented, "runtime type vm is not supported yet"},
        Row{"privileged_trusted_despite_annotation", "", true, {{kCrio, "false"}}, "untrusted",
            true, false, "runc", "trusted", kOk, "privileged"},
        Row{"crio_false_untrusted", "", false, {{kCrio, "false"}}, "trusted", true, false, "kata",
            "untrusted", kOk, kCrio},
        Row{"crio_true_trusted", "", false, {{kCrio, "true"}}, "untrusted", true, false, "runc",
            "trusted", kOk, kCrio},
        Row{"berth_false_untrusted", "", false, {{kBerth, "false"}}, "trusted", true, false,
            "kata", "untrusted", kOk, kBerth},
        Row{"berth_true_trusted", "", false, {{kBerth, "true"}}, "untrusted", true, false, "runc",
            "trusted", kOk, kBerth},
        Row{"crio_bad_value", "", false, {{kCrio, "yes"}}, "trusted", true, false, "", "",
            Code::kInvalidArgument, kCrio},
        Row{"berth_bad_value", "", false, {{kBerth, "False"}}, "trusted", true, false, "", "",
            Code::kInvalidArgument, kBerth},
        Row{"annotations_disagree", "", false, {{kCrio, "true"}, {kBerth, "false"}}, "trusted",
            true, false, "", "", Code::kInvalidArgument, "disagree"},
        Row{"containerd_untrusted", "", false, {{kCtrd, "true"}}, "trusted", true, false, "kata",
            "untrusted", kOk, kCtrd},
        Row{"containerd_false_means_default", "", false, {{kCtrd, "false"}}, "untrusted", true,
            false, "kata", "untrusted", kOk, "default_workload_trust"},
        Row{"crio_true_beats_containerd", "", false, {{kCrio, "true"}, {kCtrd, "true"}},
            "trusted", true, false, "runc", "trusted", kOk, ""},
        Row{"default_trusted", "", false, {}, "trusted", true, false, "runc", "trusted", kOk,
            "default_workload_trust=trusted"},
        Row{"default_untrusted", "", false, {}, "untrusted", true, false, "kata", "untrusted", kOk,
            "default_workload_trust=untrusted"},
        Row{"untrusted_without_runtime_refused", "", false, {{kCrio, "false"}}, "trusted", false,
            false, "", "", Code::kFailedPrecondition, "\"default/web\""},
        Row{"untrusted_without_runtime_falls_back", "", false, {{kCrio, "false"}}, "trusted",
            false, true, "runc", "trusted", kOk, "fell back"},
        Row{"default_untrusted_without_runtime_refused", "", false, {}, "untrusted", false, false,
            "", "", Code::kFailedPrecondition, "no untrusted_runtime"},
        Row{"bad_default_trust", "", false, {}, "maybe", true, false, "", "",
            Code::kFailedPrecondition, "default_workload_trust"}),
    [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });
// clang-format on

TEST(RuntimeRouter, TrustedRuntimeEmptyUsesDefaultRuntime) {
  RoutingConfig c = TwoRuntimes();
  c.trusted_runtime.clear();
  c.default_runtime = "kata";
  auto r = ChooseRuntime(c, Pod());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "kata");
  EXPECT_EQ(r->trust, "trusted");
}

TEST(RuntimeRouter, TrustedRuntimeMissingFromConfigIsFailedPrecondition) {
  RoutingConfig c = TwoRuntimes();
  c.trusted_runtime = "nope";
  auto r = ChooseRuntime(c, Pod());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("\"nope\""));
}

TEST(RuntimeRouter, UntrustedVmRuntimeRefusedClearly) {
  RoutingConfig c = TwoRuntimes();
  c.untrusted_runtime = "vmrt";
  auto r = ChooseRuntime(c, Pod({{kCrio, "false"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnimplemented);
  EXPECT_THAT(r.status().message(), HasSubstr("runtime type vm is not supported yet"));
}

TEST(RuntimeRouter, HostileHandlerIsQuotedInError) {
  PodRoutingInput p = Pod();
  p.runtime_handler = "bad\nname";
  auto r = ChooseRuntime(TwoRuntimes(), p);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("bad\\x0aname"));
}

// forbid_trusted_opt_out with default_workload_trust untrusted: a pod's
// "trusted" annotation is refused, naming it; everything else routes as before.
TEST(RuntimeRouter, ForbidTrustedOptOutRefusesTheTrustedAnnotationOnly) {
  RoutingConfig c = TwoRuntimes();
  c.default_workload_trust = "untrusted";
  c.forbid_trusted_opt_out = true;
  for (const char* key : {kCrio, kBerth}) {
    auto r = ChooseRuntime(c, Pod({{key, "true"}}));
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
    EXPECT_THAT(r.status().message(), HasSubstr(std::string(key) + "=true"));
    EXPECT_THAT(r.status().message(), HasSubstr("forbid_trusted_opt_out"));
    EXPECT_THAT(r.status().message(), HasSubstr("\"default/web\""));
  }
  auto untrusted = ChooseRuntime(c, Pod({{kCrio, "false"}}));
  ASSERT_TRUE(untrusted.ok()) << untrusted.status().ToString();
  EXPECT_EQ(untrusted->name, "kata");
  PodRoutingInput privileged = Pod({{kCrio, "true"}});
  privileged.privileged = true;
  auto priv = ChooseRuntime(c, privileged);
  ASSERT_TRUE(priv.ok()) << priv.status().ToString();
  EXPECT_EQ(priv->name, "runc");
  PodRoutingInput handler = Pod({{kCrio, "true"}});
  handler.runtime_handler = "runc";
  auto by_handler = ChooseRuntime(c, handler);
  ASSERT_TRUE(by_handler.ok()) << by_handler.status().ToString();
  EXPECT_EQ(by_handler->name, "runc");
  // Where trusted is the default anyway, the key changes nothing.
  c.default_workload_trust = "trusted";
  auto trusted = ChooseRuntime(c, Pod({{kCrio, "true"}}));
  ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
  EXPECT_EQ(trusted->name, "runc");
}

TEST(FilterAnnotations, KeepsForeignAndTrustDropsUnlistedBerth) {
  RuntimeChoice choice;
  choice.allowed_annotations = {"io.berth.exact", "io.berth.kata.*"};
  std::map<std::string, std::string> in = {
      {"io.kubernetes.cri.sandbox-id", "x"},
      {"io.berth.trusted-sandbox", "false"},
      {"io.berth.exact", "1"},
      {"io.berth.exactly", "2"},
      {"io.berth.kata.cpus", "3"},
      {"io.berth.kata", "4"},
      {"io.berth.other", "5"},
  };
  auto out = FilterAnnotations(choice, in);
  EXPECT_EQ(out.kept.count("io.kubernetes.cri.sandbox-id"), 1u);
  EXPECT_EQ(out.kept.count("io.berth.trusted-sandbox"), 1u);
  EXPECT_EQ(out.kept.count("io.berth.exact"), 1u);
  EXPECT_EQ(out.kept.count("io.berth.kata.cpus"), 1u);
  EXPECT_THAT(out.dropped, ::testing::UnorderedElementsAre("io.berth.exactly", "io.berth.kata",
                                                           "io.berth.other"));
  EXPECT_EQ(out.kept.size() + out.dropped.size(), in.size());
}

TEST(FilterAnnotations, NothingAllowedDropsAllBerthButTrust) {
  RuntimeChoice choice;
  auto out = FilterAnnotations(choice, {{"io.berth.a", "1"}, {"io.berth.trusted-sandbox", "true"}});
  EXPECT_THAT(out.dropped, ::testing::ElementsAre("io.berth.a"));
  EXPECT_EQ(out.kept.size(), 1u);
}

}  // namespace
}  // namespace berth::oci
