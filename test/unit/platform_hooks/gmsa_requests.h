// The gMSA requests the platform-hook tests send: a container and a pod whose
// credential spec carries a marker no audit line or error may repeat. Shared by
// platform_hooks_test.cc (also run by the Windows build, test/windows) and
// linux_host_test.cc (Linux only).
#pragma once

#include <string>
#include <string_view>

#include "pkg/platform/gmsa_setup.h"
#include "runtime/v1/api.pb.h"

namespace berth::daemon::gmsa_requests {

// The spec's content carries this marker; no audit line or error may.
inline constexpr std::string_view kSecretMarker = "contoso-gmsa-account-7731";
inline const std::string kSpec =
    std::string(R"({"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":)") +
    R"({"GmsaAccountName":")" + std::string(kSecretMarker) + R"("}})";
inline const std::string kId(64, 'c');

inline runtime::v1::ContainerConfig GmsaConfig(bool legacy_annotation = false) {
  runtime::v1::ContainerConfig config;
  config.mutable_metadata()->set_name("web");
  config.mutable_image()->set_image("mcr.microsoft.com/windows/nanoserver:ltsc2022");
  if (legacy_annotation) {
    (*config.mutable_annotations())[std::string(platform::kLegacyGmsaSpecAnnotation)] = kSpec;
  } else {
    config.mutable_windows()->mutable_security_context()->set_credential_spec(kSpec);
  }
  return config;
}

inline runtime::v1::PodSandboxConfig GmsaPod() {
  runtime::v1::PodSandboxConfig pod;
  pod.mutable_metadata()->set_name("web-pod");
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_uid("uid-web-pod");
  pod.mutable_windows()->mutable_security_context()->set_credential_spec(kSpec);
  return pod;
}

}  // namespace berth::daemon::gmsa_requests
