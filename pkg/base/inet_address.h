// The IP address text conversions (inet_pton, inet_ntop, ntohl) and address
// types (in_addr, in6_addr, AF_INET, AF_INET6, INET6_ADDRSTRLEN): from
// <arpa/inet.h> on Linux, from Winsock's <ws2tcpip.h> on Windows (which has
// the same functions; link ws2_32, as berth_base does there). The one place
// either system's headers for them are named.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
// ws2tcpip.h needs the types winsock2.h defines.
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

namespace berth {

// Reads an IPv4 address the way the resolver (and curl) do, so "127.1" and
// octal or hex parts count: inet_aton on Linux. Windows has no inet_aton;
// its inet_addr reads the same forms but cannot tell 255.255.255.255 from an
// error, so there that one address reads as invalid.
inline bool ParseIpv4LikeResolver(const char* text, in_addr* out) {
#ifdef _WIN32
  const unsigned long address = inet_addr(text);
  if (address == INADDR_NONE) return false;
  out->s_addr = address;
  return true;
#else
  return inet_aton(text, out) != 0;
#endif
}

}  // namespace berth
