// Request text for logs with secrets removed: every AuthConfig field (registry
// credentials) is cleared before the message is printed.
#pragma once

#include <google/protobuf/message.h>

#include <string>

namespace berth::daemon {

std::string RedactedDebugString(const google::protobuf::Message& message);

}  // namespace berth::daemon
