#include "daemon/redact.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <memory>

namespace berth::daemon {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

void Scrub(Message* m) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->message_type()->full_name() == "runtime.v1.AuthConfig") {
      r->ClearField(m, f);
      continue;
    }
    if (f->is_map()) continue;  // CRI maps hold strings only
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(*m, f); ++k) Scrub(r->MutableRepeatedMessage(m, f, k));
    } else if (r->HasField(*m, f)) {
      Scrub(r->MutableMessage(m, f));
    }
  }
}

}  // namespace

std::string RedactedDebugString(const Message& message) {
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  Scrub(copy.get());
  return copy->ShortDebugString();
}

}  // namespace berth::daemon
