// VmcomputeHcsClient: HcsClient over vmcompute.dll, loaded at run time so
// berthd starts on hosts without the Containers feature (CCG calls then fail
// with FailedPrecondition instead of the process failing to load).
#pragma once

#include <memory>

#include "pkg/platform/hcs_client.h"

namespace berth::platform::win {

// Loads vmcompute.dll from System32 and resolves the service entry points.
// FailedPrecondition (naming the DLL and the Win32 error) when unavailable.
Result<std::unique_ptr<HcsClient>> LoadVmcomputeHcsClient();

// A client whose every call fails with `why`; used when loading failed so the
// rest of the daemon keeps working and only CCG requests are refused.
std::unique_ptr<HcsClient> UnavailableHcsClient(Status why);

}  // namespace berth::platform::win
