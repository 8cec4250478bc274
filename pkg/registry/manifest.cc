#include "pkg/registry/manifest.h"

#include <nlohmann/json.hpp>

#include "pkg/base/digest.h"
#include "pkg/base/quote.h"

namespace berth::registry {
namespace {

using nlohmann::json;

constexpr size_t kMaxLayers = 512;  // far above any real image; bounds hostile input
constexpr size_t kMaxIndexEntries = 1024;

Status Bad(std::string_view what, std::string_view why) {
  return InvalidArgument("manifest " + std::string(what) + ": " + std::string(why));
}

std::string MediaTypeOnly(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Result<json> ParseJson(std::string_view body, std::string_view what) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(what, "not valid JSON");
  if (!j.is_object()) return Bad(what, "not a JSON object");
  return j;
}

Result<Descriptor> ParseDescriptor(const json& j, std::string_view what, std::string_view field) {
  std::string where = std::string(field);
  if (!j.is_object()) return Bad(what, where + " is not an object");
  Descriptor d;
  d.media_type = StringField(j, "mediaType");
  d.digest = StringField(j, "digest");
  BERTH_RETURN_IF_ERROR(ValidateDigest(d.digest, "manifest " + std::string(what) + " " + where));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return Bad(what, where + " has a missing or negative size");
  }
  d.size = size->get<int64_t>();
  if (auto urls = j.find("urls"); urls != j.end() && urls->is_array()) {
    for (const auto& u : *urls) {
      if (u.is_string()) d.urls.push_back(u.get<std::string>());
    }
  }
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform = Platform{StringField(*p, "os"), StringField(*p, "architecture"),
                          StringField(*p, "variant")};
  }
  return d;
}

bool IsSchema1(std::string_view media_type) {
  return media_type == media::kDockerSchema1 || media_type == media::kDockerSchema1Signed;
}

Status Schema1Error(std::string_view what) {
  return FailedPrecondition("manifest " + std::string(what) +
                            " is Docker image manifest v2 schema 1, which is deprecated and not "
                            "supported; push the image again with a current tool");
}

// The top of an image manifest and of an index alike: schemaVersion 2, and a
// mediaType, when the body names one, of the `kind` asked for (a body that
// names another type is not that kind, whatever the Content-Type said).
// Returns the body's mediaType, "" when it names none.
Result<std::string> CheckTopLevel(const json& j, std::string_view what, std::string_view kind,
                                  std::string_view oci_type, std::string_view docker_type) {
  auto sv = j.find("schemaVersion");
  if (sv == j.end() || !sv->is_number_integer() || *sv != 2) {
    return Bad(what, "schemaVersion must be 2");
  }
  std::string media_type = StringField(j, "mediaType");
  if (!media_type.empty() && media_type != oci_type && media_type != docker_type) {
    return Bad(what, "mediaType " + QuoteForMessage(media_type) + " is not " + std::string(kind));
  }
  return media_type;
}

// Arm variants as numbers ("v7" -> 7); 0 when absent or unparsable.
int ArmVariant(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v') return 0;
  int n = 0;
  for (char c : v.substr(1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
    if (n > 100) return 0;
  }
  return n;
}

// Higher is better; negative means "does not run here".
int PlatformScore(const Platform& have, const Platform& want) {
  if (have.os != want.os || have.architecture != want.architecture) return -1;
  if (have.variant == want.variant) return 100;
  if (want.architecture == "arm64") {
    bool have_v8 = have.variant.empty() || have.variant == "v8";
    bool want_v8 = want.variant.empty() || want.variant == "v8";
    return have_v8 && want_v8 ? 90 : -1;
  }
  if (want.architecture == "arm") {
    int h = ArmVariant(have.variant), w = ArmVariant(want.variant);
    if (have.variant.empty()) return 10;
    if (w == 0 || h == 0 || h > w) return -1;
    return 50 + h;  // the closest lower variant wins
  }
  if (want.variant.empty()) return 50;
  return have.variant.empty() ? 40 : -1;
}

}  // namespace

std::string ManifestAcceptHeader() {
  return std::string(media::kOciIndex) + ", " + std::string(media::kOciManifest) + ", " +
         std::string(media::kDockerList) + ", " + std::string(media::kDockerManifest);
}

Result<ManifestKind> ClassifyManifest(std::string_view content_type, std::string_view body,
                                      std::string_view what) {
  std::string ct = MediaTypeOnly(content_type);
  if (IsSchema1(ct)) return Schema1Error(what);
  if (ct == media::kOciIndex || ct == media::kDockerList) return ManifestKind::kIndex;
  if (ct == media::kOciManifest || ct == media::kDockerManifest) return ManifestKind::kImage;
  // Content-Type missing or generic (application/json): look inside.
  BERTH_ASSIGN_OR_RETURN(json j, ParseJson(body, what));
  std::string mt = StringField(j, "mediaType");
  if (IsSchema1(mt)) return Schema1Error(what);
  if (auto v = j.find("schemaVersion"); v != j.end() && v->is_number_integer() && *v == 1) {
    return Schema1Error(what);
  }
  if (mt == media::kOciIndex || mt == media::kDockerList) return ManifestKind::kIndex;
  if (mt == media::kOciManifest || mt == media::kDockerManifest) return ManifestKind::kImage;
  if (mt.empty()) {
    if (j.contains("manifests")) return ManifestKind::kIndex;
    if (j.contains("config") && j.contains("layers")) return ManifestKind::kImage;
  }
  return Bad(what, "unsupported manifest media type " + QuoteForMessage(mt.empty() ? ct : mt));
}

Result<ImageManifest> ParseImageManifest(std::string_view body, std::string_view what) {
  BERTH_ASSIGN_OR_RETURN(json j, ParseJson(body, what));
  if (auto sv = j.find("schemaVersion"); sv != j.end() && sv->is_number_integer() && *sv == 1) {
    return Schema1Error(what);
  }
  ImageManifest m;
  BERTH_ASSIGN_OR_RETURN(m.media_type, CheckTopLevel(j, what, "an image manifest",
                                                     media::kOciManifest, media::kDockerManifest));
  auto config = j.find("config");
  if (config == j.end()) return Bad(what, "has no config");
  BERTH_ASSIGN_OR_RETURN(m.config, ParseDescriptor(*config, what, "config"));
  if (m.config.media_type != media::kOciConfig && m.config.media_type != media::kDockerConfig) {
    return Bad(what, "config media type " + QuoteForMessage(m.config.media_type) +
                         " is not an image config (an artifact, not a container image?)");
  }
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) return Bad(what, "has no layers array");
  if (layers->size() > kMaxLayers) return Bad(what, "has too many layers");
  for (size_t i = 0; i < layers->size(); ++i) {
    std::string field = "layers[" + std::to_string(i) + "]";
    BERTH_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*layers)[i], what, field));
    auto compression = LayerCompression(d.media_type);
    if (!compression.ok())
      return compression.status().WithContext("manifest " + std::string(what) + " " + field);
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<ManifestIndex> ParseManifestIndex(std::string_view body, std::string_view what) {
  BERTH_ASSIGN_OR_RETURN(json j, ParseJson(body, what));
  ManifestIndex idx;
  BERTH_ASSIGN_OR_RETURN(idx.media_type,
                         CheckTopLevel(j, what, "an index", media::kOciIndex, media::kDockerList));
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array()) return Bad(what, "has no manifests array");
  if (manifests->size() > kMaxIndexEntries) return Bad(what, "has too many entries");
  for (size_t i = 0; i < manifests->size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*manifests)[i], what,
                                                         "manifests[" + std::to_string(i) + "]"));
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

Result<Compression> LayerCompression(std::string_view media_type) {
  if (media_type == media::kOciLayer) return Compression::kNone;
  if (media_type == media::kOciLayerGzip || media_type == media::kDockerLayerGzip ||
      media_type == media::kOciLayerNondistGzip || media_type == media::kDockerForeignLayerGzip) {
    return Compression::kGzip;
  }
  if (media_type == media::kOciLayerZstd) return Compression::kZstd;
  return InvalidArgument("unsupported layer media type " + QuoteForMessage(media_type));
}

Platform HostPlatform() {
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8"};
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
  return {"linux", "arm", "v7"};
#elif defined(__arm__)
  return {"linux", "arm", "v6"};
#elif defined(__i386__)
  return {"linux", "386", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", ""};
#else
#error "unknown architecture: add its OCI name to HostPlatform"
#endif
}

Result<Descriptor> SelectPlatform(const ManifestIndex& index, const Platform& want,
                                  std::string_view what) {
  const Descriptor* best = nullptr;
  int best_score = -1;
  std::string offered;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    const Platform& p = *d.platform;
    if (offered.size() < 400) {
      offered += (offered.empty() ? "" : ", ") + EscapeForMessage(p.os, 20) + "/" +
                 EscapeForMessage(p.architecture, 20) +
                 (p.variant.empty() ? "" : "/" + EscapeForMessage(p.variant, 20));
    }
    int score = PlatformScore(p, want);
    if (score > best_score) {  // strict: the first of equal candidates wins
      best_score = score;
      best = &d;
    }
  }
  if (best == nullptr) {
    std::string w =
        want.os + "/" + want.architecture + (want.variant.empty() ? "" : "/" + want.variant);
    return NotFound("manifest " + std::string(what) + " has no image for platform " + w +
                    " (offers: " + (offered.empty() ? "none" : offered) + ")");
  }
  return *best;
}

}  // namespace berth::registry
