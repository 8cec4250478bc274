#include "pkg/registry/http_transport.h"

#include <cctype>
#include <memory>

#include "pkg/base/quote.h"
#include "pkg/dynlib/curl_library.h"

namespace berth::registry {
namespace {

using dynlib::CurlLibrary;

struct CurlDeleter {
  const CurlLibrary* lib;
  void operator()(CURL* c) const { lib->easy_cleanup(c); }
};
struct SlistDeleter {
  const CurlLibrary* lib;
  void operator()(curl_slist* l) const { lib->slist_free_all(l); }
};

struct TransferState {
  const CurlLibrary* lib = nullptr;
  CURL* curl = nullptr;
  const HttpStreaming* streaming = nullptr;
  CancelToken cancel;
  size_t max_body = 0;
  HttpResponse* response = nullptr;
  Status writer_status;
  bool too_large = false;
  bool cancelled = false;
  int streaming_mode = -1;  // -1 undecided, 0 buffer, 1 stream to writer
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  std::string_view line(data, size * n);
  // A new status line starts a new response (redirects, 100-continue): forget the old headers.
  if (line.starts_with("HTTP/")) {
    st->response->headers.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  // Bound what a hostile server can make us keep.
  if (st->response->headers.size() < 200 && value.size() < 16384) {
    st->response->headers.emplace(std::move(name), std::string(value));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  size_t len = size * n;
  if (st->streaming_mode < 0) {
    long code = 0;
    st->lib->easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
    st->streaming_mode = (st->streaming->write && code >= 200 && code < 300) ? 1 : 0;
  }
  if (st->streaming_mode == 1) {
    st->writer_status = st->streaming->write(std::string_view(data, len));
    if (!st->writer_status.ok()) return CURL_WRITEFUNC_ERROR;
    return len;
  }
  if (st->response->body.size() + len > st->max_body) {
    st->too_large = true;
    return CURL_WRITEFUNC_ERROR;
  }
  st->response->body.append(data, len);
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<TransferState*>(user);
  if (st->cancel.cancelled() || (st->streaming->tick && !st->streaming->tick())) {
    st->cancelled = true;
    return 1;  // abort
  }
  return 0;
}

HttpFailure Classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return HttpFailure::kRetryable;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return HttpFailure::kTls;
    default:
      return HttpFailure::kFatal;
  }
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::vector<std::string> HttpResponse::Headers(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string UrlEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpResult PerformHttp(const HttpRequest& request, size_t max_body,
                       const HttpStreaming& streaming) {
  HttpResult result;
  Result<const CurlLibrary*> loaded = dynlib::LoadCurl();
  if (!loaded.ok()) {
    result.failure = HttpFailure::kFatal;
    result.status = loaded.status();
    return result;
  }
  const CurlLibrary& lib = **loaded;
  std::unique_ptr<CURL, CurlDeleter> curl(lib.easy_init(), CurlDeleter{&lib});
  if (!curl) {
    result.failure = HttpFailure::kFatal;
    result.status = Internal("curl_easy_init failed");
    return result;
  }
  CURL* c = curl.get();
  TransferState st;
  st.lib = &lib;
  st.curl = c;
  st.streaming = &streaming;
  st.cancel = request.cancel;
  st.max_body = max_body;
  st.response = &result.response;

  std::unique_ptr<curl_slist, SlistDeleter> headers(nullptr, SlistDeleter{&lib});
  for (const std::string& h : request.headers) {
    curl_slist* next = lib.slist_append(headers.get(), h.c_str());
    if (next == nullptr) {
      result.failure = HttpFailure::kFatal;
      result.status = Internal("curl_slist_append failed");
      return result;
    }
    (void)headers.release();
    headers.reset(next);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  lib.easy_setopt(c, CURLOPT_URL, request.url.c_str());
  lib.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // required for use from many threads
  lib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  lib.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  // Custom Authorization headers stay with the original host across redirects
  // (curl's default; stated because blob redirects go to storage hosts).
  lib.easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  lib.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  lib.easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
  lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  if (request.stall_timeout.count() > 0) {
    lib.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    lib.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
  }
  lib.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L);
  lib.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
  lib.easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  lib.easy_setopt(c, CURLOPT_HEADERDATA, &st);
  lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  lib.easy_setopt(c, CURLOPT_WRITEDATA, &st);
  lib.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  lib.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  lib.easy_setopt(c, CURLOPT_XFERINFODATA, &st);
  if (request.method == "HEAD") {
    lib.easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    lib.easy_setopt(c, CURLOPT_POST, 1L);
    lib.easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    lib.easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }

  CURLcode code = lib.easy_perform(c);
  lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.response.status);
  if (char* eff = nullptr; lib.easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) {
    result.response.effective_url = eff;
  }
  if (code == CURLE_OK) return result;

  std::string what = request.method + " " + EscapeForMessage(request.url, 300) + ": ";
  if (st.cancelled) {
    result.failure = HttpFailure::kCancelled;
    result.status = Cancelled(what + "cancelled");
  } else if (!st.writer_status.ok()) {
    result.failure = HttpFailure::kWriter;
    result.status = st.writer_status;
  } else if (st.too_large) {
    result.failure = HttpFailure::kTooLarge;
    result.status = ResourceExhausted(what + "response body larger than " +
                                      std::to_string(max_body) + " bytes");
  } else {
    result.failure = Classify(code);
    result.status = Unavailable(what + (errbuf[0] ? std::string(errbuf) : lib.easy_strerror(code)));
  }
  return result;
}

}  // namespace berth::registry
