// How an exec or attach session's end is told to the client on its error
// channel, per remote-command protocol version:
//  v1–v3: nothing on success, else a plain-text message;
//  v4+:   a Kubernetes metav1.Status as JSON: "Success", or "Failure" with
//         reason NonZeroExitCode and the code as an "ExitCode" cause (which
//         kubectl and crictl turn into their own exit code), or reason
//         InternalError with the message.
#pragma once

#include <string>

#include "pkg/streaming/channels.h"

namespace berth::streaming {

// The bytes to write to the error channel; empty = write nothing.
std::string ErrorChannelMessage(int protocol_version, const ExecOutcome& outcome);

}  // namespace berth::streaming
