// Building a Windows command line and environment block from a Command.
// Internal to pkg/process's Windows build.
//
// Windows passes a child one string, not an argv: the child's C runtime (or
// CommandLineToArgvW) splits it again. The quoting here is the inverse of that
// split, so the child sees exactly the argv it was given.
#pragma once

#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/process/spawn.h"

namespace berth::process::internal {

// The command line for `argv` (UTF-8), in UTF-16. argv[0] is quoted without
// escapes, as the runtime reads it (up to the next quote): a quote in it is
// InvalidArgument. A NUL in any argument is InvalidArgument.
Result<std::wstring> BuildCommandLine(const std::vector<std::string>& argv);

// CreateProcessW's environment block (CREATE_UNICODE_ENVIRONMENT): the base
// (c.env, or the daemon's own environment) with c.extra_env laid over it,
// "KEY=value" entries each ended by a NUL, sorted by key without regard to
// case as Windows expects, and a final NUL. Keys compare without regard to
// case (Path and PATH are one variable on Windows). A NUL inside an entry
// is InvalidArgument.
Result<std::wstring> BuildEnvironmentBlock(const Command& c);

}  // namespace berth::process::internal
