// Linux's signal numbers (those of x86-64 and arm64), which an OCI runtime
// delivers inside the container's kernel: what an image's StopSignal names
// and what berth asks the runtime to send, whatever system berthd itself is
// built for (Windows' <csignal> has six signals, numbered otherwise). On
// Linux each is checked against <csignal>, so an architecture that numbers
// them differently fails the build.
#pragma once

namespace berth::oci::linux_signal {

inline constexpr int kHup = 1;
inline constexpr int kInt = 2;
inline constexpr int kQuit = 3;
inline constexpr int kIll = 4;
inline constexpr int kTrap = 5;
inline constexpr int kAbrt = 6;
inline constexpr int kIot = 6;
inline constexpr int kBus = 7;
inline constexpr int kFpe = 8;
inline constexpr int kKill = 9;
inline constexpr int kUsr1 = 10;
inline constexpr int kSegv = 11;
inline constexpr int kUsr2 = 12;
inline constexpr int kPipe = 13;
inline constexpr int kAlrm = 14;
inline constexpr int kTerm = 15;
inline constexpr int kStkflt = 16;
inline constexpr int kChld = 17;
inline constexpr int kCont = 18;
inline constexpr int kStop = 19;
inline constexpr int kTstp = 20;
inline constexpr int kTtin = 21;
inline constexpr int kTtou = 22;
inline constexpr int kUrg = 23;
inline constexpr int kXcpu = 24;
inline constexpr int kXfsz = 25;
inline constexpr int kVtalrm = 26;
inline constexpr int kProf = 27;
inline constexpr int kWinch = 28;
inline constexpr int kIo = 29;
inline constexpr int kPoll = 29;
inline constexpr int kPwr = 30;
inline constexpr int kSys = 31;

}  // namespace berth::oci::linux_signal

#ifdef __linux__
#include <csignal>

namespace berth::oci::linux_signal {
static_assert(kHup == SIGHUP);
static_assert(kInt == SIGINT);
static_assert(kQuit == SIGQUIT);
static_assert(kIll == SIGILL);
static_assert(kTrap == SIGTRAP);
static_assert(kAbrt == SIGABRT);
static_assert(kIot == SIGIOT);
static_assert(kBus == SIGBUS);
static_assert(kFpe == SIGFPE);
static_assert(kKill == SIGKILL);
static_assert(kUsr1 == SIGUSR1);
static_assert(kSegv == SIGSEGV);
static_assert(kUsr2 == SIGUSR2);
static_assert(kPipe == SIGPIPE);
static_assert(kAlrm == SIGALRM);
static_assert(kTerm == SIGTERM);
static_assert(kStkflt == SIGSTKFLT);
static_assert(kChld == SIGCHLD);
static_assert(kCont == SIGCONT);
static_assert(kStop == SIGSTOP);
static_assert(kTstp == SIGTSTP);
static_assert(kTtin == SIGTTIN);
static_assert(kTtou == SIGTTOU);
static_assert(kUrg == SIGURG);
static_assert(kXcpu == SIGXCPU);
static_assert(kXfsz == SIGXFSZ);
static_assert(kVtalrm == SIGVTALRM);
static_assert(kProf == SIGPROF);
static_assert(kWinch == SIGWINCH);
static_assert(kIo == SIGIO);
static_assert(kPoll == SIGPOLL);
static_assert(kPwr == SIGPWR);
static_assert(kSys == SIGSYS);
}  // namespace berth::oci::linux_signal
#endif
