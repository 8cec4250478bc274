// A minimal HTTP client for the metrics endpoint's tests: one HTTP/1.0 GET to
// 127.0.0.1. One implementation per system: http_get.cc on POSIX sockets,
// test/windows/http_get_win.cc on Winsock.
#pragma once

#include <string>

namespace berth::metrics {

// The whole answer, status line and headers included (the server closes the
// connection), or "connect failed" when nothing listens on `port`.
std::string HttpGet(int port, const std::string& path);

}  // namespace berth::metrics
