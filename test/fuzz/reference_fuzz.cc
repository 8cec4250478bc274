// Fuzz target: image references (pkg/registry/reference), as the kubelet and
// crictl send them in PullImage, ImageStatus, RemoveImage and CreateContainer.
//
// Properties of every reference that parses:
//  - its normalized String() parses back to the same Reference;
//  - its parts are what the rest of berth relies on: a domain, a path of at
//    most kMaxNameLength with Name(), a tag unless only a digest was given,
//    and a digest that is empty or a valid sha256 digest;
//  - TagString() and DigestString() name the same repository;
//  - ParseReferenceNoDefaultTag agrees with ParseReference except for the
//    default "latest" tag;
//  - a bare 64-hex image ID is refused as a repository name.
// An error message is escaped and bounded (references are hostile).
#include <cstdint>
#include <string>

#include "pkg/base/digest.h"
#include "pkg/registry/reference.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::IsSha256Digest;
using berth::fuzz::Check;
using namespace berth::registry;

void CheckRepositoryForm(const std::string& form, const Reference& ref, bool with_digest) {
  auto back = ParseReferenceNoDefaultTag(form);
  Check(back.ok(), "TagString/DigestString parse");
  Check(back->Name() == ref.Name(), "TagString/DigestString keep the repository");
  Check(with_digest ? back->digest == ref.digest && back->tag.empty()
                    : back->tag == ref.tag && back->digest.empty(),
        "TagString/DigestString carry just the tag or just the digest");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = berth::fuzz::AsText(data, size);
  auto ref = ParseReference(text);
  auto bare = ParseReferenceNoDefaultTag(text);
  Check(ref.ok() == bare.ok(), "both parsers accept the same references");
  if (LooksLikeImageId(text)) Check(!ref.ok(), "a bare image ID is not a repository");
  if (!ref.ok()) {
    Check(berth::fuzz::IsPrintableMessage(ref.status().message()),
          "reference error message is escaped and bounded", ref.status().message());
    return 0;
  }
  Check(!ref->domain.empty() && !ref->path.empty(), "a reference has a domain and a path");
  Check(ref->Name().size() <= kMaxNameLength, "a repository name is within docker's limit");
  Check(ref->digest.empty() || IsSha256Digest(ref->digest), "a digest is a valid sha256 digest");
  Check(!ref->tag.empty() || !ref->digest.empty(), "a reference has a tag or a digest");

  auto again = ParseReference(ref->String());
  Check(again.ok() && *again == *ref, "String() parses back to the same reference");

  Check(bare->domain == ref->domain && bare->path == ref->path && bare->digest == ref->digest,
        "the default tag is the only difference");
  if (bare->tag.empty() && bare->digest.empty()) {
    Check(ref->tag == "latest", "no tag and no digest means latest");
  } else {
    Check(bare->tag == ref->tag, "an explicit tag is kept");
  }
  if (!ref->tag.empty()) CheckRepositoryForm(ref->TagString(), *ref, false);
  if (!ref->digest.empty()) CheckRepositoryForm(ref->DigestString(), *ref, true);
  return 0;
}
