// An IPv4 or IPv6 UDP endpoint (address and port), compared by value.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace confmix::io {

/** One IPv4 or IPv6 address with a port; empty until set. */
class SocketAddress {
 public:
  SocketAddress() = default;

  /** Parses a numeric IPv4 or IPv6 address; false (and `out` untouched) when `ip` or `port` is bad. */
  static bool Parse(const std::string& ip, int port, SocketAddress* out);
  /** The wildcard address of a family ("0.0.0.0" or "::") with `port`. */
  static SocketAddress Any(bool ipv6, int port);
  /** Copies a kernel-filled address; empty when the family is neither IPv4 nor IPv6. */
  static SocketAddress FromSockaddr(const sockaddr* address, socklen_t length);

  /** True when no address has been set. */
  bool empty() const { return length_ == 0; }
  /** True for an IPv6 address. */
  bool is_ipv6() const { return length_ != 0 && storage_.ss_family == AF_INET6; }
  /** The port in host order (0 when empty). */
  int port() const;
  /** Returns a copy of this address with another port. */
  SocketAddress WithPort(int port) const;
  /** The numeric address text, e.g. "127.0.0.1" or "::1" ("" when empty). */
  std::string ip() const;
  /** The address for socket calls. */
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  /** Length of the address for socket calls. */
  socklen_t length() const { return length_; }

  /** Same family, address and port (the datagram source check). */
  bool operator==(const SocketAddress& other) const;
  bool operator!=(const SocketAddress& other) const { return !(*this == other); }

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace confmix::io
