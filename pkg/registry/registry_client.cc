#include "pkg/registry/registry_client.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "pkg/base/digest.h"
#include "pkg/base/quote.h"
#include "pkg/registry/blob_writer.h"
#include "pkg/registry/registry_auth.h"
#include "pkg/registry/registry_endpoints.h"

namespace berth::registry {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

// The first "code: message" of an OCI error body, sanitized, for error messages.
std::string RegistryErrorDetail(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto errors = j.find("errors");
  if (errors == j.end() || !errors->is_array() || errors->empty() || !(*errors)[0].is_object()) {
    return "";
  }
  const auto& e = (*errors)[0];
  std::string code =
      e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string msg =
      e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
  return " (" + EscapeForMessage(code, 60) +
         (msg.empty() ? "" : ": " + EscapeForMessage(msg, 200)) + ")";
}

bool SameEndpoint(const Endpoint& a, const Endpoint& b) {
  return a.host == b.host && a.scheme == b.scheme;
}

}  // namespace

struct RegistryClient::Impl {
  explicit Impl(RegistryClientOptions o)
      : options(std::move(o)),
        retry{options.max_attempts, options.initial_backoff, options.max_backoff},
        auth(AuthSettings{retry, options.connect_timeout, options.user_agent}) {}

  AuthConfig CredsFor(const Endpoint& ep, const RequestOptions& o) const {
    if (!o.credentials) return {};
    std::optional<AuthConfig> c = o.credentials(ep.host);
    if (!c || c->empty()) return {};
    auto n = NormalizeAuthConfig(*c);
    if (!n.ok()) {
      spdlog::warn("registry: ignoring credentials for {}: {}", ep.host, n.status().message());
      return {};
    }
    return *n;
  }

  // GET with authentication: retried per the policy, and once more with fresh
  // credentials after a 401 (an expired or out-of-scope token).
  HttpResult AuthedGet(const Endpoint& ep, const std::string& repo, const AuthConfig& creds,
                       HttpRequest req, size_t max_body, const HttpStreaming& streaming,
                       const RequestOptions& o, const std::function<Status()>& before_retry) {
    req.verify_tls = !ep.insecure;
    req.connect_timeout = options.connect_timeout;
    req.user_agent = options.user_agent;
    req.cancel = o.cancel;
    const std::vector<std::string> base_headers = req.headers;
    HttpResult r;
    for (int round = 0; round < 2; ++round) {
      auto header = auth.AuthorizationHeader(ep, repo, creds, o.cancel);
      if (!header.ok()) {
        r.failure = header.status().code() == Code::kCancelled ? HttpFailure::kCancelled
                                                               : HttpFailure::kFatal;
        r.status = header.status();
        return r;
      }
      req.headers = base_headers;
      if (!header->empty()) req.headers.push_back(*header);
      r = PerformWithRetry([&] { return PerformHttp(req, max_body, streaming); }, retry, o.cancel,
                           before_retry);
      if (r.failure != HttpFailure::kNone || r.response.status != 401 || round == 1) return r;
      auth.OnUnauthorized(ep, repo, creds, r.response.Headers("www-authenticate"));
    }
    return r;
  }

  // Maps a finished request to a Status naming `what` on `ep`.
  Status ResponseStatus(const HttpResult& r, const Endpoint& ep, const std::string& what,
                        const AuthConfig& creds) const {
    if (r.failure != HttpFailure::kNone) return r.status.WithContext(what + " from " + ep.host);
    long code = r.response.status;
    if (code >= 200 && code < 300) return OkStatus();
    std::string detail = RegistryErrorDetail(r.response.body);
    std::string prefix = what + " from " + ep.host + ": ";
    if (code == 401) {
      return FailedPrecondition(
          prefix +
          (creds.empty() ? "authentication required (no credentials for " + ep.host + ")"
                         : "credentials rejected") +
          detail);
    }
    if (code == 403) return FailedPrecondition(prefix + "access denied (HTTP 403)" + detail);
    if (code == 404) return NotFound(prefix + "not found (HTTP 404)" + detail);
    if (IsRetryableStatus(code)) {
      return Unavailable(prefix + "HTTP " + std::to_string(code) + " after " +
                         std::to_string(retry.max_attempts) + " attempt(s)" + detail);
    }
    return Unavailable(prefix + "unexpected HTTP " + std::to_string(code) + detail);
  }

  struct FetchedManifest {
    std::string body;
    std::string digest;
    ManifestKind kind;
  };

  Result<FetchedManifest> FetchManifest(const Endpoint& ep, const AuthConfig& creds,
                                        const Reference& ref, const std::string& selector,
                                        const std::string& expected_digest,
                                        const RequestOptions& o) {
    const std::string what =
        "manifest " + ref.Name() + (selector.starts_with("sha256:") ? "@" : ":") + selector;
    HttpRequest req;
    req.url = ep.BaseUrl() + "/v2/" + ref.path + "/manifests/" + selector;
    req.headers.push_back("Accept: " + ManifestAcceptHeader());
    HttpResult r = AuthedGet(ep, ref.path, creds, req, options.max_manifest_bytes, {}, o, nullptr);
    BERTH_RETURN_IF_ERROR(ResponseStatus(r, ep, what, creds));
    FetchedManifest m;
    m.body = std::move(r.response.body);
    m.digest = Sha256Digest(m.body);
    if (!expected_digest.empty() && m.digest != expected_digest) {
      return Internal(what + " from " + ep.host + ": content digest " + m.digest +
                      " does not match the requested digest");
    }
    BERTH_ASSIGN_OR_RETURN(m.kind,
                           ClassifyManifest(r.response.Header("content-type"), m.body, what));
    return m;
  }

  Result<PullPlan> ResolveOn(const Endpoint& raw, const Reference& ref, const RequestOptions& o) {
    BERTH_ASSIGN_OR_RETURN(Endpoint ep, auth.Ping(raw, o.cancel));
    AuthConfig creds = CredsFor(ep, o);
    BERTH_ASSIGN_OR_RETURN(FetchedManifest top,
                           FetchManifest(ep, creds, ref, ref.ManifestSelector(), ref.digest, o));
    PullPlan plan;
    plan.ref = ref;
    plan.source = ep.BaseUrl();
    plan.manifest_digest = top.digest;
    FetchedManifest image = std::move(top);
    if (image.kind == ManifestKind::kIndex) {
      const std::string what = ref.String();
      BERTH_ASSIGN_OR_RETURN(ManifestIndex index, ParseManifestIndex(image.body, what));
      BERTH_ASSIGN_OR_RETURN(Descriptor chosen, SelectPlatform(index, HostPlatform(), what));
      BERTH_ASSIGN_OR_RETURN(image, FetchManifest(ep, creds, ref, chosen.digest, chosen.digest, o));
      if (image.kind != ManifestKind::kImage) {
        return InvalidArgument("manifest " + what + ": index entry " + chosen.digest +
                               " is not an image manifest");
      }
      if (static_cast<int64_t>(image.body.size()) != chosen.size) {
        return Internal("manifest " + what + ": index entry " + chosen.digest +
                        " size does not match the index");
      }
    }
    BERTH_ASSIGN_OR_RETURN(ImageManifest m, ParseImageManifest(image.body, ref.String()));
    plan.image_manifest_digest = image.digest;
    plan.image_manifest_media_type =
        m.media_type.empty() ? std::string(media::kOciManifest) : m.media_type;
    plan.image_manifest = std::move(image.body);
    plan.config = std::move(m.config);
    plan.layers = std::move(m.layers);
    spdlog::info("registry: resolved {} to {} ({} layer(s)) via {}", ref.String(),
                 plan.image_manifest_digest, plan.layers.size(), plan.source);
    return plan;
  }

  // Endpoints for a blob of `plan`: the one that served the manifest first.
  std::vector<Endpoint> BlobEndpoints(const PullPlan& plan) const {
    std::vector<Endpoint> all = EndpointsFor(plan.ref.domain, options.hosts);
    std::vector<Endpoint> out;
    for (const Endpoint& ep : all) {
      if (ep.BaseUrl() == plan.source) out.push_back(ep);
    }
    for (const Endpoint& ep : all) {
      bool dup = false;
      for (const Endpoint& o : out) dup = dup || SameEndpoint(o, ep);
      if (!dup && ep.BaseUrl() != plan.source) out.push_back(ep);
    }
    return out;
  }

  Status FetchBlobWith(const PullPlan& plan, const Descriptor& blob, BlobWriter& writer,
                       const RequestOptions& o) {
    const std::string what =
        "blob " + EscapeForMessage(blob.digest, 80) + " of " + plan.ref.String();
    BERTH_RETURN_IF_ERROR(ValidateDigest(blob.digest, what));
    if (blob.size < 0) return InvalidArgument(what + ": negative size");
    std::vector<std::string> errors;
    Status last;
    for (const Endpoint& raw : BlobEndpoints(plan)) {
      if (!writer.Rewind().ok()) break;  // something already reached a sink: no second source
      auto ep = auth.Ping(raw, o.cancel);
      if (!ep.ok()) {
        last = ep.status();
        if (last.code() == Code::kCancelled) return last;
        errors.push_back(last.message());
        continue;
      }
      AuthConfig creds = CredsFor(*ep, o);
      HttpRequest req;
      req.url = ep->BaseUrl() + "/v2/" + plan.ref.path + "/blobs/" + blob.digest;
      req.follow_redirects = true;
      HttpStreaming streaming;
      streaming.write = [&](std::string_view data) { return writer.Write(data); };
      streaming.tick = [&] {
        if (o.cancel.cancelled()) return false;
        if (o.progress) return o.progress(BlobProgress{writer.bytes(), uint64_t(blob.size)});
        return true;
      };
      HttpResult r = AuthedGet(*ep, plan.ref.path, creds, req, kMaxErrorBody, streaming, o,
                               [&] { return writer.Rewind(); });
      last = ResponseStatus(r, *ep, what, creds);
      if (last.ok()) last = writer.Verify();
      if (last.ok()) {
        if (o.progress) o.progress(BlobProgress{writer.bytes(), uint64_t(blob.size)});
        return OkStatus();
      }
      if (last.code() == Code::kCancelled) return last;
      spdlog::warn("registry: {}", last.message());
      errors.push_back(last.message());
    }
    if (errors.size() <= 1) return last;
    std::string joined;
    for (const std::string& e : errors) joined += (joined.empty() ? "" : "; ") + e;
    return Status(last.code(), joined);
  }

  RegistryClientOptions options;
  RetryPolicy retry;
  RegistryAuth auth;
};

RegistryClient::RegistryClient(RegistryClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RegistryClient::~RegistryClient() = default;

Result<PullPlan> RegistryClient::ResolveManifest(const Reference& ref,
                                                 const RequestOptions& options) {
  std::string joined;
  Status last;
  for (const Endpoint& ep : EndpointsFor(ref.domain, impl_->options.hosts)) {
    auto plan = impl_->ResolveOn(ep, ref, options);
    if (plan.ok()) return plan;
    last = plan.status();
    if (last.code() == Code::kCancelled) return last;
    std::string msg = (ep.mirror ? "mirror " : "") + ep.BaseUrl() + ": " + last.message();
    if (ep.mirror) spdlog::warn("registry: pulling {} from {}", ref.String(), msg);
    joined += (joined.empty() ? "" : "; ") + msg;
  }
  return Status(last.code(), "pull " + ref.String() + ": " + joined);
}

Status RegistryClient::FetchBlob(const PullPlan& plan, const Descriptor& blob,
                                 const std::string& dest_path, const RequestOptions& options) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<FileBlobWriter> writer,
                         FileBlobWriter::Create(dest_path, blob));
  BERTH_RETURN_IF_ERROR(impl_->FetchBlobWith(plan, blob, *writer, options));
  return writer->Commit();
}

Status RegistryClient::FetchBlobToSink(const PullPlan& plan, const Descriptor& blob,
                                       const std::function<Status(std::string_view)>& sink,
                                       const RequestOptions& options) {
  SinkBlobWriter writer(sink, blob);
  return impl_->FetchBlobWith(plan, blob, writer, options);
}

Result<std::string> RegistryClient::FetchConfig(const PullPlan& plan,
                                                const RequestOptions& options) {
  if (plan.config.size < 0 ||
      static_cast<uint64_t>(plan.config.size) > impl_->options.max_config_bytes) {
    return ResourceExhausted("config " + plan.config.digest + " of " + plan.ref.String() +
                             " is larger than " + std::to_string(impl_->options.max_config_bytes) +
                             " bytes");
  }
  std::string out;
  out.reserve(static_cast<size_t>(plan.config.size));
  BERTH_RETURN_IF_ERROR(FetchBlobToSink(
      plan, plan.config,
      [&](std::string_view data) {
        out.append(data);
        return OkStatus();
      },
      options));
  return out;
}

}  // namespace berth::registry
