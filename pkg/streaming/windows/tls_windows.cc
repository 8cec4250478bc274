#include "pkg/streaming/tls.h"

namespace berth::streaming {

Result<std::shared_ptr<TlsContext>> LoadTlsContext(const std::string& what,
                                                   const std::string& cert_file,
                                                   const std::string&) {
  return Unimplemented(what + ": TLS (certificate " + cert_file +
                       ") is Linux-only in this build: it runs on OpenSSL, which Debian does not "
                       "package for mingw-w64; on Windows Schannel would do it. Leave "
                       "stream.tls_cert_file empty to serve plain HTTP");
}

}  // namespace berth::streaming
