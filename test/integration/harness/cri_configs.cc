#include "test/integration/harness/cri_configs.h"

namespace berth::testing {

namespace rt = runtime::v1;

rt::PodSandboxConfig PodConfig(const std::string& name, const std::string& uid) {
  rt::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid(uid);
  c.set_hostname(name);
  (*c.mutable_labels())["app"] = name;
  return c;
}

void SetHostNetwork(rt::PodSandboxConfig* c) {
  c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      rt::NODE);
}

rt::ContainerConfig ContainerConfig(const std::string& name, const std::string& image,
                                    const std::vector<std::string>& cmd) {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(image);
  for (const auto& a : cmd) c.add_command(a);
  c.set_log_path(name + ".log");
  (*c.mutable_labels())["app"] = name;
  return c;
}

}  // namespace berth::testing
