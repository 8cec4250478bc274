// The streaming server's TLS: its context (from the configured certificate
// and key) and the stream a connection runs over it. On Linux both are
// Asio's OpenSSL types (tls.cc). Debian packages no OpenSSL for mingw-w64,
// so the Windows build has no TLS: LoadTlsContext answers Unimplemented there
// (windows/tls_windows.cc), and the two types are declared, never defined,
// since no context, and so no TLS stream, can ever exist.
#pragma once

#include <memory>
#include <string>

#include "pkg/base/status.h"

#ifndef _WIN32
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#endif

namespace berth::streaming {

#ifdef _WIN32
class TlsContext;
class TlsStream;
#else
using TlsContext = boost::asio::ssl::context;
using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;
#endif

// A server context from a PEM certificate chain and key (TLS 1.2 and later);
// `what` names the server in errors.
Result<std::shared_ptr<TlsContext>> LoadTlsContext(const std::string& what,
                                                   const std::string& cert_file,
                                                   const std::string& key_file);

}  // namespace berth::streaming
