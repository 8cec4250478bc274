// The daemon as a Windows program without its transport: opens a Server (the
// runtime probes, image store, restore, watchers, streaming endpoint) on the
// state directory given, prints what Open() answered and shuts it down. Its
// purpose is the link: built, it shows that all of daemon/ but the gRPC
// transport resolves against the Windows builds of pkg/.
//
//   berth_daemon_link_check.exe <state-dir>
#include <cstdio>
#include <string>

#include "daemon/server.h"
#include "pkg/config/config.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: berth_daemon_link_check <state-dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  berth::config::Config config;
  config.root = dir + "/root";
  config.runroot = dir + "/run";
  config.listen = dir + "/berth.sock";
  config.shutdown_file = dir + "/root/berth.shutdown";
  berth::daemon::Server server(config, dir + "/berth.yaml");
  berth::Status opened = server.Open();
  std::printf("Open: %s\n", opened.ToString().c_str());
  server.Shutdown();
  return opened.ok() ? 0 : 1;
}
