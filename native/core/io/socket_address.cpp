#include "core/io/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace confmix::io {

bool SocketAddress::Parse(const std::string& ip, int port, SocketAddress* out) {
  if (port < 0 || port > 65535) return false;
  SocketAddress parsed;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&parsed.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&parsed.storage_);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    parsed.length_ = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    parsed.length_ = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  *out = parsed;
  return true;
}

SocketAddress SocketAddress::Any(bool ipv6, int port) {
  SocketAddress any;
  Parse(ipv6 ? "::" : "0.0.0.0", port, &any);
  return any;
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress copy;
  if (address == nullptr) return copy;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    std::memcpy(&copy.storage_, address, sizeof(sockaddr_in));
    copy.length_ = sizeof(sockaddr_in);
  } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    std::memcpy(&copy.storage_, address, sizeof(sockaddr_in6));
    copy.length_ = sizeof(sockaddr_in6);
  }
  return copy;
}

int SocketAddress::port() const {
  if (length_ == 0) return 0;
  if (storage_.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
}

SocketAddress SocketAddress::WithPort(int port) const {
  SocketAddress copy = *this;
  if (length_ == 0) return copy;
  const auto network_port = htons(static_cast<uint16_t>(port));
  if (storage_.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&copy.storage_)->sin_port = network_port;
  } else {
    reinterpret_cast<sockaddr_in6*>(&copy.storage_)->sin6_port = network_port;
  }
  return copy;
}

std::string SocketAddress::ip() const {
  char text[INET6_ADDRSTRLEN] = {0};
  if (length_ == 0) return std::string();
  if (storage_.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof(text));
  }
  return std::string(text);
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  if (length_ != other.length_) return false;
  if (length_ == 0) return true;
  if (storage_.ss_family != other.storage_.ss_family) return false;
  if (storage_.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&other.storage_);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
  const auto* b = reinterpret_cast<const sockaddr_in6*>(&other.storage_);
  return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
         std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) == 0;
}

}  // namespace confmix::io
