// ListEntryCache: the bytes a List answer carries for one container or pod,
// kept while the object's state is the one they were made for. Everything
// else a list entry shows is fixed at creation, so a List call of 1,000
// entries copies 1,000 byte strings instead of building, serializing and
// freeing some 15,000 small messages (which, with glibc's consolidation of
// the freed chunks, made berth's List calls slower than containerd's).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace berth::daemon {

// Appends `bytes` (a serialized message) to `out` as field `field` of its
// parent message: the tag of a length-delimited field, the length, then the
// bytes. A List response is the concatenation of such entries.
void AppendLengthDelimited(int field, std::string_view bytes, std::string* out);

class ListEntryCache {
 public:
  // Appends the entry to `out` as field `field`, first rebuilding it with
  // `build` (which fills the message it is given) when `state` is not the
  // state the kept bytes were made for. Safe from concurrent List calls.
  template <typename Message, typename Build>
  void AppendTo(int state, int field, std::string* out, Build&& build) {
    std::lock_guard lock(mu_);
    if (state != state_) {
      Message entry;
      build(&entry);
      bytes_ = entry.SerializeAsString();
      state_ = state;
    }
    AppendLengthDelimited(field, bytes_, out);
  }

 private:
  std::mutex mu_;
  int state_ = -1;     // none kept yet
  std::string bytes_;  // the entry serialized; guarded by mu_
};

}  // namespace berth::daemon
