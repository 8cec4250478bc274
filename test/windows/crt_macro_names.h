// Force-included (-include) in every Windows TU that sees the CRI messages:
// mingw-w64's C headers define macros whose names the CRI API also uses.
//  - <signal.h>'s SIG* macros vs CRI's Signal enum: api.pb.h saves, undefines
//    and restores them around its body (api/guard_signal_macros.cmake), which
//    only holds if <signal.h> is not first included from inside that body, as
//    protobuf's headers do with mingw-w64 (through winpthreads). Included here
//    first, its include guard keeps it out of the body.
//  - <stdio.h>'s stdin, stdout and stderr are macros here, and the CRI
//    messages have fields of those names (ContainerConfig, ExecRequest, ...),
//    so protoc emits methods stdin(), stdout(), ... that the macros would
//    rewrite. They become what they are in glibc, names of objects, which
//    member functions of the same name do not clash with: each converts to
//    the FILE* the macro gave, so fprintf(stderr, ...) and fmt's print(stdout)
//    keep working.
#pragma once
#include <csignal>
#include <cstdio>
#include <cwchar>

namespace berth_crt {
// Bodies written while the macros still exist: whatever the C runtime's
// expansion is (msvcrt or UCRT), it is taken as it is.
inline std::FILE* StdIn() {
  return stdin;
}
inline std::FILE* StdOut() {
  return stdout;
}
inline std::FILE* StdErr() {
  return stderr;
}
struct Stream {
  std::FILE* (*get)();
  operator std::FILE*() const { return get(); }
};
}  // namespace berth_crt

#undef stdin
#undef stdout
#undef stderr
inline constexpr berth_crt::Stream stdin{&berth_crt::StdIn};
inline constexpr berth_crt::Stream stdout{&berth_crt::StdOut};
inline constexpr berth_crt::Stream stderr{&berth_crt::StdErr};
