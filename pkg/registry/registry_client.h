// RegistryClient: pulls manifests and blobs over the OCI distribution API v2.
//
// What it promises:
//  - Endpoints per registry host come from RegistryHostConfigs: the host's
//    mirrors in order, then the host itself (docker.io means registry-1.docker.io).
//    An insecure host is spoken to over HTTPS without certificate checks, falling
//    back to plain HTTP when the TLS handshake fails; a mirror written with an
//    explicit "http://" is plain HTTP. A loopback host (localhost, 127.0.0.0/8,
//    ::1) is insecure without configuration, as in docker; for any other host a
//    failed TLS handshake's error says how to mark it insecure.
//  - Authentication follows the registry's /v2/ challenge: Basic, or Bearer via the
//    token endpoint (service + scope, anonymous or with the pull's credentials).
//    Tokens are cached per (realm, service, scope, credential identity) until they
//    expire. Credentials never reach a log line or an error message.
//  - Manifests are requested as OCI index/manifest or Docker list/schema2; schema1 is
//    refused. An index is resolved to linux/<this arch>. Every manifest fetched by
//    digest is verified against it.
//  - Blobs are streamed, hashed with SHA-256 and checked against the descriptor's
//    digest AND size; a mismatch is an error and FetchBlob leaves no file behind.
//  - 5xx, 429 and broken connections are retried with exponential backoff (bounded).
//  - Thread-safe: concurrent calls share only the ping and token caches (own lock);
//    each request uses its own curl handle. Parallel layer download is the caller's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pkg/base/cancel.h"
#include "pkg/base/status.h"
#include "pkg/registry/auth_config.h"
#include "pkg/registry/manifest.h"
#include "pkg/registry/reference.h"

namespace berth::registry {

// The `registries:` config, per registry host ("gcr.io", "127.0.0.1:5000").
struct RegistryHostConfig {
  // Tried in order before the host itself: "host[:port]" or "http(s)://host[:port]".
  std::vector<std::string> mirrors;
  bool insecure = false;  // plain HTTP or HTTPS without certificate verification
};
using RegistryHostConfigs = std::map<std::string, RegistryHostConfig>;

struct RegistryClientOptions {
  RegistryHostConfigs hosts;
  int max_attempts = 4;  // per request and endpoint; 1 = no retry
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
  std::chrono::seconds connect_timeout{30};
  std::string user_agent = "berth/0.1";
  size_t max_manifest_bytes = 4 << 20;
  size_t max_config_bytes = 8 << 20;
};

// Credentials to present to `host` (the endpoint's host, which for a mirror is the
// mirror's). nullopt or an empty AuthConfig means anonymous.
using CredentialCallback = std::function<std::optional<AuthConfig>(const std::string& host)>;

struct BlobProgress {
  uint64_t bytes_done = 0;   // verified-so-far bytes of this blob (restarts at 0 on a retry)
  uint64_t bytes_total = 0;  // the descriptor's size
};

// Per-call options. `progress` is called about once a second and on every chunk,
// even when no bytes arrive, so a caller can cancel a stalled pull by returning false.
struct RequestOptions {
  CredentialCallback credentials;
  std::function<bool(const BlobProgress&)> progress;
  CancelToken cancel;  // the pull stops soon after it is cancelled (checked often)
};

// What a pull needs after the manifest is resolved.
struct PullPlan {
  Reference ref;
  std::string manifest_digest;        // what the tag points at (index or manifest): RepoDigests
  std::string image_manifest_digest;  // the platform image manifest chosen
  std::string image_manifest;         // its raw bytes (verified against image_manifest_digest)
  std::string image_manifest_media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::string source;  // endpoint that served the manifest, e.g. "http://127.0.0.1:5000"
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryClientOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // Fetches the manifest for `ref` (following an index to this platform). Tries
  // the mirrors, then the host. Errors name the reference and each endpoint's cause:
  // NotFound (no such manifest), FailedPrecondition (authentication failed,
  // schema1), InvalidArgument (malformed manifest), Unavailable (network / 5xx),
  // Cancelled.
  Result<PullPlan> ResolveManifest(const Reference& ref, const RequestOptions& options = {});

  // Downloads `blob` (config or layer of `plan`) to `dest_path`: written to a
  // temporary file next to it, verified, then renamed into place. On any error
  // nothing is left at `dest_path` or beside it. Starts at plan.source, then the
  // other endpoints.
  Status FetchBlob(const PullPlan& plan, const Descriptor& blob, const std::string& dest_path,
                   const RequestOptions& options = {});

  // Streams `blob` into `sink` while verifying it. The result is only trustworthy
  // when OK: on error the caller must discard everything the sink received.
  // Retries only while nothing has reached the sink.
  Status FetchBlobToSink(const PullPlan& plan, const Descriptor& blob,
                         const std::function<Status(std::string_view)>& sink,
                         const RequestOptions& options = {});

  // The image config blob in memory (bounded by max_config_bytes), verified.
  Result<std::string> FetchConfig(const PullPlan& plan, const RequestOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::registry
