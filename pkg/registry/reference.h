// Image references, parsed and normalized the way docker and the kubelet do.
//
//   busybox                        -> docker.io/library/busybox:latest
//   quay.io/org/app:1.2            -> quay.io/org/app:1.2
//   localhost:5000/app@sha256:...  -> localhost:5000/app@sha256:...
//   app:v1@sha256:...              -> docker.io/library/app:v1@sha256:...  (digest wins for pulls)
//
// The first path component is a registry host when it contains '.' or ':' or is
// "localhost" (or is a bracketed IPv6 address); otherwise the image lives on
// docker.io and one-component names get the "library/" prefix.
#pragma once

#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth::registry {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr size_t kMaxNameLength = 255;  // domain + "/" + path, as docker limits it

struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000", "[::1]:5000"
  std::string path;    // "library/busybox"; lowercase components
  std::string tag;     // empty only when a digest is given without a tag
  std::string digest;  // "sha256:<hex>" or empty

  // "domain/path": the repository name (kubelet's "repoToPull").
  std::string Name() const;
  // Full normalized form: Name() + ":tag" (if any) + "@digest" (if any).
  std::string String() const;
  // Name() + ":tag" (empty when there is no tag): the RepoTags entry.
  std::string TagString() const;
  // Name() + "@digest" (empty when there is no digest): the RepoDigests entry.
  std::string DigestString() const;
  // What to ask the registry's manifests endpoint for: the digest if present, else the tag.
  const std::string& ManifestSelector() const { return digest.empty() ? tag : digest; }

  bool operator==(const Reference&) const = default;
};

// Parses and normalizes `ref`. Without tag and digest the tag is "latest".
// Invalid input is InvalidArgument naming the (sanitized) reference and the rule broken.
Result<Reference> ParseReference(std::string_view ref);

// Like ParseReference but leaves a missing tag empty (for matching "name only" filters).
Result<Reference> ParseReferenceNoDefaultTag(std::string_view ref);

// True for a bare 64-hex image ID (what docker refuses as a repository name).
bool LooksLikeImageId(std::string_view s);

}  // namespace berth::registry
