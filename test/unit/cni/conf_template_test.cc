// RenderConfTemplate: containerd-style CNI config templates rendered with the
// node's pod CIDRs; the output is checked as JSON (and as a conflist) where it
// is one.
#include "pkg/cni/conf_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pkg/cni/conf_list.h"

namespace berth::cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The shape of containerd's documented bridge template: a range over the
// ranges and one over the routes, separated by {{if $i}}, with trim markers.
constexpr char kBridgeTemplate[] = R"({
  "cniVersion": "1.0.0",
  "name": "pods",
  "plugins": [{
    "type": "bridge",
    "bridge": "cni0",
    "isGateway": true,
    "ipam": {
      "type": "host-local",
      "ranges": [
        {{- range $i, $range := .PodCIDRRanges}}
        {{- if $i}}, {{end}}
        [{"subnet": "{{$range}}"}]
        {{- end}}
      ],
      "routes": [
        {{- range $i, $route := .Routes}}
        {{- if $i}}, {{end}}
        {"dst": "{{$route}}"}
        {{- end}}
      ]
    }
  }]
})";

ConfTemplateData DataFor(const std::string& cidrs) {
  Result<std::vector<PodCidr>> parsed = ParsePodCidrs(cidrs);
  if (!parsed.ok()) std::abort();
  return TemplateDataFor(*parsed);
}

json RenderJson(std::string_view tmpl, const std::string& cidrs) {
  Result<std::string> out = RenderConfTemplate(tmpl, DataFor(cidrs));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return json();
  json doc = json::parse(*out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "not JSON:\n" << *out;
  EXPECT_TRUE(ParseConfList(*out).ok()) << "not a conflist:\n" << *out;
  return doc;
}

std::string Render(std::string_view tmpl, const std::string& cidrs = "10.1.0.0/16") {
  Result<std::string> out = RenderConfTemplate(tmpl, DataFor(cidrs));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

Status RenderError(std::string_view tmpl) {
  Result<std::string> out = RenderConfTemplate(tmpl, DataFor("10.1.0.0/16"));
  EXPECT_FALSE(out.ok()) << "rendered:\n" << *out;
  return out.ok() ? OkStatus() : out.status();
}

TEST(ConfTemplateTest, TemplateDataFollowsContainerdsFields) {
  ConfTemplateData d = DataFor("fd00:1::/64,10.2.0.0/24");
  EXPECT_EQ(d.pod_cidr, "fd00:1::/64");  // the first, whatever its family
  EXPECT_EQ(d.pod_cidr_ranges, (std::vector<std::string>{"fd00:1::/64", "10.2.0.0/24"}));
  EXPECT_EQ(d.routes, (std::vector<std::string>{"0.0.0.0/0", "::/0"}));
}

TEST(ConfTemplateTest, RendersIpv4) {
  json doc = RenderJson(kBridgeTemplate, "10.244.3.0/24");
  const json& ipam = doc["plugins"][0]["ipam"];
  EXPECT_EQ(ipam["ranges"], json::parse(R"([[{"subnet":"10.244.3.0/24"}]])"));
  EXPECT_EQ(ipam["routes"], json::parse(R"([{"dst":"0.0.0.0/0"}])"));
}

TEST(ConfTemplateTest, RendersIpv6) {
  json doc = RenderJson(kBridgeTemplate, "fd00:10:244:3::/64");
  const json& ipam = doc["plugins"][0]["ipam"];
  EXPECT_EQ(ipam["ranges"], json::parse(R"([[{"subnet":"fd00:10:244:3::/64"}]])"));
  EXPECT_EQ(ipam["routes"], json::parse(R"([{"dst":"::/0"}])"));
}

TEST(ConfTemplateTest, RendersDualStackRangesAndRoutes) {
  json doc = RenderJson(kBridgeTemplate, "10.244.3.0/24,fd00:10:244:3::/64");
  const json& ipam = doc["plugins"][0]["ipam"];
  EXPECT_EQ(ipam["ranges"],
            json::parse(R"([[{"subnet":"10.244.3.0/24"}],[{"subnet":"fd00:10:244:3::/64"}]])"));
  EXPECT_EQ(ipam["routes"], json::parse(R"([{"dst":"0.0.0.0/0"},{"dst":"::/0"}])"));
}

TEST(ConfTemplateTest, PodCidrIsTheFirstRange) {
  json doc = RenderJson(
      R"({"cniVersion":"0.4.0","name":"n","plugins":[{"type":"ptp","ipam":{"type":"host-local","subnet":"{{.PodCIDR}}"}}]})",
      "10.9.0.0/24,fd00::/64");
  EXPECT_EQ(doc["plugins"][0]["ipam"]["subnet"], "10.9.0.0/24");
}

TEST(ConfTemplateTest, TrimMarkersEatBlanksOnTheirSideOnly) {
  EXPECT_EQ(Render("a  \n {{- .PodCIDR -}} \n\t b"), "a10.1.0.0/16b");
  EXPECT_EQ(Render("a {{.PodCIDR -}} b"), "a 10.1.0.0/16b");
  EXPECT_EQ(Render("a {{- .PodCIDR}} b"), "a10.1.0.0/16 b");
  // "-" without a blank after it is not a trim marker.
  EXPECT_THAT(RenderError("{{-.PodCIDR}}").message(), HasSubstr("unsupported expression"));
}

TEST(ConfTemplateTest, RangeFormsAndDot) {
  EXPECT_EQ(Render("{{range .Routes}}[{{.}}]{{end}}", "10.0.0.0/8,fd00::/8"), "[0.0.0.0/0][::/0]");
  EXPECT_EQ(Render("{{range $r := .PodCIDRRanges}}<{{$r}}>{{end}}", "10.0.0.0/8,fd00::/8"),
            "<10.0.0.0/8><fd00::/8>");
  EXPECT_EQ(
      Render("{{range $i, $r := .PodCIDRRanges}}{{$i}}={{$r}};{{end}}", "10.0.0.0/8,fd00::/8"),
      "0=10.0.0.0/8;1=fd00::/8;");
}

TEST(ConfTemplateTest, NestedRangesScopeTheirVariables) {
  EXPECT_EQ(Render("{{range $a := .PodCIDRRanges}}{{range $b := .Routes}}{{$a}}>{{$b}} "
                   "{{end}}{{end}}",
                   "10.0.0.0/8,fd00::/8"),
            "10.0.0.0/8>0.0.0.0/0 10.0.0.0/8>::/0 fd00::/8>0.0.0.0/0 fd00::/8>::/0 ");
  EXPECT_THAT(RenderError("{{range $a := .Routes}}{{end}}{{$a}}").message(),
              HasSubstr("undefined variable $a"));
}

TEST(ConfTemplateTest, IfElseOnFieldsAndVariables) {
  EXPECT_EQ(Render("{{if .PodCIDR}}yes{{else}}no{{end}}"), "yes");
  EXPECT_EQ(Render("{{range $i, $r := .PodCIDRRanges}}{{if $i}}+{{else}}first:{{end}}{{$r}}{{end}}",
                   "10.0.0.0/8,fd00::/8"),
            "first:10.0.0.0/8+fd00::/8");
}

TEST(ConfTemplateTest, CommentsVanish) {
  EXPECT_EQ(Render("a{{/* a comment with }} inside */}}b"), "ab");
  EXPECT_EQ(Render("{{- /*gotype: x*/ -}}\n  {\"k\": 1}"), "{\"k\": 1}");
}

TEST(ConfTemplateTest, PlainJsonBracesAreText) {
  EXPECT_EQ(Render(R"({"a":{"b":[{"c":1}]}})"), R"({"a":{"b":[{"c":1}]}})");
}

TEST(ConfTemplateTest, ErrorsNameTheLineAndTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\n\n  {{.PodCidr}}", "line 3: unknown field .PodCidr"},
      {"{{$nope}}", "line 1: undefined variable $nope"},
      {"{{.}}", "only meaningful inside a range"},
      {"{{.PodCIDRRanges}}", "cannot print a list"},
      {"{{range .PodCIDR}}x{{end}}", "range over something not a list"},
      {"{{range .Routes}}x", "not closed with {{end}}"},
      {"x{{end}}", "{{end}} without a block"},
      {"{{else}}", "{{else}} without a block"},
      {"{{range .Routes}}x{{else}}y{{end}}", "{{else}} in a range is not supported"},
      {"{{if .PodCIDR}}a{{else}}b{{else}}c{{end}}", "two {{else}}"},
      {"{{printf \"%s\" .PodCIDR}}", "unsupported expression"},
      {"{{.PodCIDR | html}}", "unsupported expression"},
      {"{{range 1, $x := .Routes}}{{end}}", "not a $variable"},
      {"{{", "unclosed action"},
      {"\n{{/* never closed }}", "line 2: unclosed comment"},
      {"{{}}", "unsupported expression"},
  };
  for (const auto& [tmpl, message] : cases) {
    Status s = RenderError(tmpl);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << tmpl;
    EXPECT_THAT(s.message(), HasSubstr(message)) << tmpl;
  }
}

TEST(ConfTemplateTest, DeepNestingIsRefused) {
  std::string tmpl;
  for (int i = 0; i < 40; ++i) tmpl += "{{if .PodCIDR}}";
  for (int i = 0; i < 40; ++i) tmpl += "{{end}}";
  EXPECT_THAT(RenderError(tmpl).message(), HasSubstr("nested too deep"));
}

}  // namespace
}  // namespace berth::cni
