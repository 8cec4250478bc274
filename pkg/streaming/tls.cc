#include "pkg/streaming/tls.h"

namespace berth::streaming {

namespace asio = boost::asio;

Result<std::shared_ptr<TlsContext>> LoadTlsContext(const std::string& what,
                                                   const std::string& cert_file,
                                                   const std::string& key_file) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cert_file, ec);
  if (ec) return InvalidArgument(what + ": certificate " + cert_file + ": " + ec.message());
  tls->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgument(what + ": key " + key_file + ": " + ec.message());
  return tls;
}

}  // namespace berth::streaming
