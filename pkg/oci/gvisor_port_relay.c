// berth-port-relay PORT: port-forward's way into a gVisor pod.
//
// A gVisor pod's loopback lives in gVisor's own network stack, which a socket
// made in the pod's network namespace on the host's kernel never reaches. So
// berthd runs this relay inside the pod (`runsc exec` in the infra
// container, whose rootfs carries it; gvisor_port_forward.h): it connects to
// 127.0.0.1:PORT (then [::1]:PORT), writes one NUL byte on stdout to say it
// is connected, and then copies stdin to the connection and the connection to
// stdout. On stdin's end it half-closes the connection and goes on until the
// pod's side ends. A failed connect is reported on stderr, exit status 1.
//
// Static and libc-only: it runs in the infra rootfs, which holds nothing else.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int Connect(int port) {
  struct sockaddr_in v4 = {0};
  v4.sin_family = AF_INET;
  v4.sin_port = htons((unsigned short)port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s >= 0 && connect(s, (struct sockaddr*)&v4, sizeof v4) == 0) return s;
  int err4 = errno;
  if (s >= 0) close(s);

  struct sockaddr_in6 v6 = {0};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons((unsigned short)port);
  v6.sin6_addr = in6addr_loopback;
  s = socket(AF_INET6, SOCK_STREAM, 0);
  if (s >= 0 && connect(s, (struct sockaddr*)&v6, sizeof v6) == 0) return s;
  // The IPv4 error is the one that says most (the pod may have no IPv6).
  fprintf(stderr, "connect 127.0.0.1:%d inside the gVisor sandbox: %s\n", port, strerror(err4));
  return -1;
}

// Writes all of buf; 0 on success.
static int WriteAll(int fd, const char* buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w;
    n -= w;
  }
  return 0;
}

int main(int argc, char** argv) {
  char* end = NULL;
  long port = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || *end != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "usage: berth-port-relay PORT (1-65535)\n");
    return 2;
  }
  // A closed stdout must end the relay, not kill it mid-write silently.
  signal(SIGPIPE, SIG_IGN);
  int s = Connect((int)port);
  if (s < 0) return 1;
  if (WriteAll(1, "", 1) != 0) return 1;

  int stdin_open = 1;
  char buf[32768];
  for (;;) {
    struct pollfd p[2] = {{s, POLLIN, 0}, {0, stdin_open ? POLLIN : 0, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (p[0].revents) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;  // the pod's side ended
      if (WriteAll(1, buf, n) != 0) return 0;  // berthd's side went away
    }
    if (stdin_open && p[1].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = 0;
        shutdown(s, SHUT_WR);
      } else if (WriteAll(s, buf, n) != 0) {
        return 0;
      }
    }
  }
}
