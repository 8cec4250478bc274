// berthd: flags → config → daemon::Server → serve until SIGTERM/SIGINT.
#include "runtime/v1/api.pb.h"  // before <csignal>: CRI's Signal enum reuses SIG* names

#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "cmd/berthd/flags.h"
#include "cmd/berthd/memory_settings.h"
#include "daemon/call_context.h"
#include "daemon/server.h"

namespace {

// Signals are taken by one thread with sigwait, so no handler runs in an
// arbitrary thread and the gRPC threads never see them.
sigset_t DaemonSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("berthd");
  spdlog::set_default_logger(logger);
  // %* is the CRI call a line belongs to: "[req=<id> pod=<id> ...] ".
  spdlog::set_formatter(berth::daemon::CallAwareFormatter("%Y-%m-%dT%H:%M:%S.%f%z %^%l%$ %*%v"));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int main(int argc, char** argv) {
  berth::cmd::LimitMallocArenas();
  std::vector<std::string> args(argv + 1, argv + argc);
  berth::Result<berth::cmd::Flags> flags = berth::cmd::ParseFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr, "berthd: %s\n%s", flags.status().message().c_str(),
                 berth::cmd::Usage().c_str());
    return 2;
  }
  if (flags->command == "help") {
    std::fputs(berth::cmd::Usage().c_str(), stdout);
    return 0;
  }
  berth::Result<berth::config::Config> config =
      berth::config::Load(flags->config_path, flags->config_given, flags->overrides);
  if (!config.ok()) {
    std::fprintf(stderr, "berthd: invalid configuration: %s\n", config.status().message().c_str());
    return 1;
  }
  if (flags->command == "config") {
    std::fputs(berth::config::ToYaml(*config).c_str(), stdout);
    return 0;
  }

  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread made below
  SetupLogging(config->log_level);

  berth::daemon::Server server(*config, flags->config_path);
  if (berth::Status s = server.Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  berth::cmd::ReturnFreedMemory();
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        server.ReloadLogLevel();
        continue;
      }
      spdlog::info("received {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      server.Shutdown();
      return;
    }
  });
  server.Wait();
  signal_thread.join();
  spdlog::info("berthd stopped");
  return 0;
}
