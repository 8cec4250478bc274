// One HTTP request over libcurl: a fresh easy handle per call (so any number of
// threads may call at once), bounded buffering of bodies, streaming of
// successful bodies into a caller's writer, a periodic tick for progress and
// cancellation, and a classification of failures that says what is retryable.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/cancel.h"
#include "pkg/base/status.h"

namespace berth::registry {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; never logged (may carry credentials)
  std::string body;                  // POST body
  bool follow_redirects = false;
  bool verify_tls = true;
  std::chrono::seconds connect_timeout{30};
  // Abort when less than 1 byte/s arrives for this long (0 = never); a backstop for
  // dead connections, the caller's progress tick handles policy.
  std::chrono::seconds stall_timeout{0};
  std::string user_agent = "berth";
  // Cancelled (by the pull's caller or its progress watchdog, say) to abort the
  // transfer: kCancelled within about a second, whatever the server does. curl's progress callback
  // checks it, and curl runs that callback about once a second even while
  // nothing arrives, so a server that accepts and never answers (or trickles
  // its headers) cannot hold a request past it.
  CancelToken cancel;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased, of the final response
  std::string body;  // the body, unless it went to a writer (then the error body, if any)
  std::string effective_url;

  // First value of header `name` (lowercase), or "".
  std::string Header(const std::string& name) const;
  std::vector<std::string> Headers(const std::string& name) const;
};

enum class HttpFailure {
  kNone,       // a response arrived (any status)
  kRetryable,  // connection refused/reset, timeout, truncated body
  kTls,        // TLS handshake failed (an insecure host may be plain HTTP)
  kFatal,      // bad URL, DNS failure, too many redirects, ...
  kCancelled,  // the tick asked to stop
  kWriter,     // the writer refused the data (its status is returned)
  kTooLarge,   // a buffered body exceeded its bound
};

struct HttpResult {
  HttpFailure failure = HttpFailure::kNone;
  Status status;  // non-OK exactly when failure != kNone
  HttpResponse response;
};

struct HttpStreaming {
  // Receives the body of a 2xx response; returning non-OK aborts the transfer.
  std::function<Status(std::string_view)> write;
  // Called about once a second and whenever data arrives; false cancels.
  std::function<bool()> tick;
};

// Performs `request`. A body not streamed to `streaming.write` is buffered up to
// `max_body` bytes (more is kTooLarge).
HttpResult PerformHttp(const HttpRequest& request, size_t max_body,
                       const HttpStreaming& streaming = {});

// Percent-encodes a query parameter value.
std::string UrlEscape(std::string_view s);

}  // namespace berth::registry
