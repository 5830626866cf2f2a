#include "core/io/udp_socket.h"

#include <netinet/in.h>
#include <unistd.h>

#include <time.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace confmix::io {

UdpSocket::UdpSocket(UdpSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

BindResult UdpSocket::Open(const SocketAddress& local, std::string* error) {
  Close();
  if (local.empty()) {
    *error = "no local address";
    return BindResult::kFailed;
  }
  const int family = local.is_ipv6() ? AF_INET6 : AF_INET;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return BindResult::kFailed;
  }
  if (family == AF_INET6) {
    // One family per socket keeps the source check simple (no IPv4-mapped addresses).
    const int on = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  }
  if (::bind(fd, local.sockaddr_ptr(), local.length()) != 0) {
    const int bind_errno = errno;
    ::close(fd);
    *error = std::string("bind ") + local.ip() + ":" + std::to_string(local.port()) + ": " +
             std::strerror(bind_errno);
    return bind_errno == EADDRINUSE || bind_errno == EACCES ? BindResult::kInUse
                                                            : BindResult::kFailed;
  }
  fd_ = fd;
  return BindResult::kBound;
}

bool UdpSocket::AllowPeer() {
  const int on = 1;
  return fd_ >= 0 && ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == 0;
}

bool UdpSocket::OpenPeer(const SocketAddress& local, const SocketAddress& remote) {
  Close();
  if (local.empty() || remote.empty() || local.is_ipv6() != remote.is_ipv6()) return false;
  const int fd = ::socket(local.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return false;
  const int on = 1;
  if (local.is_ipv6()) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
      ::bind(fd, local.sockaddr_ptr(), local.length()) != 0 ||
      ::connect(fd, remote.sockaddr_ptr(), remote.length()) != 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool UdpSocket::TimestampArrivals() {
  const int on = 1;
  return fd_ >= 0 && ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == 0;
}

void UdpSocket::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

ReceiveBatch::ReceiveBatch(size_t capacity)
    : buffers_(capacity * kMaxDatagramBytes),
      iovecs_(capacity),
      sources_(capacity),
      headers_(capacity),
      control_words_((CMSG_SPACE(sizeof(timespec)) + sizeof(uint64_t) - 1) / sizeof(uint64_t)) {
  controls_.resize(capacity * control_words_);
  for (size_t i = 0; i < capacity; ++i) {
    iovecs_[i].iov_base = &buffers_[i * kMaxDatagramBytes];
    iovecs_[i].iov_len = kMaxDatagramBytes;
  }
}

int ReceiveBatch::Receive(int fd, size_t max) {
  const size_t count = max < headers_.size() ? max : headers_.size();
  // recvmmsg overwrites the lengths, so each call re-arms them.
  for (size_t i = 0; i < count; ++i) {
    msghdr& header = headers_[i].msg_hdr;
    header = msghdr{};
    header.msg_name = &sources_[i];
    header.msg_namelen = sizeof(sockaddr_storage);
    header.msg_iov = &iovecs_[i];
    header.msg_iovlen = 1;
    header.msg_control = &controls_[i * control_words_];
    header.msg_controllen = control_words_ * sizeof(uint64_t);
    headers_[i].msg_len = 0;
  }
  for (;;) {
    const int received = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
    if (received >= 0) return received;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

size_t ReceiveBatch::size(size_t i) const {
  const size_t length = headers_[i].msg_len;
  return length < kMaxDatagramBytes ? length : kMaxDatagramBytes;
}

SocketAddress ReceiveBatch::source(size_t i) const {
  return SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&sources_[i]),
                                     headers_[i].msg_hdr.msg_namelen);
}

int64_t ReceiveBatch::arrival_realtime_ns(size_t i) const {
  msghdr& header = const_cast<msghdr&>(headers_[i].msg_hdr);
  for (cmsghdr* message = CMSG_FIRSTHDR(&header); message != nullptr; message = CMSG_NXTHDR(&header, message)) {
    if (message->cmsg_level != SOL_SOCKET || message->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(message), sizeof(stamp));
    return static_cast<int64_t>(stamp.tv_sec) * 1'000'000'000LL + stamp.tv_nsec;
  }
  return 0;
}

SendBatch::SendBatch(size_t capacity) : iovecs_(2 * capacity), headers_(capacity), delivered_(capacity) {}

bool SendBatch::Add(const uint8_t* data, size_t size, const SocketAddress& to) {
  return Add(data, size, nullptr, 0, to);
}

bool SendBatch::Add(const uint8_t* head, size_t head_size, const uint8_t* body, size_t body_size,
                    const SocketAddress& to) {
  if (full()) return false;
  iovec* parts = &iovecs_[2 * count_];
  parts[0].iov_base = const_cast<uint8_t*>(head);
  parts[0].iov_len = head_size;
  parts[1].iov_base = const_cast<uint8_t*>(body);
  parts[1].iov_len = body_size;
  msghdr& header = headers_[count_].msg_hdr;
  header = msghdr{};
  if (!to.empty()) {
    header.msg_name = const_cast<sockaddr*>(to.sockaddr_ptr());
    header.msg_namelen = to.length();
  }
  header.msg_iov = parts;
  header.msg_iovlen = body_size > 0 ? 2 : 1;
  ++count_;
  return true;
}

SendOutcome SendBatch::Flush(int fd) {
  SendOutcome outcome;
  size_t next = 0;
  while (next < count_) {
    const size_t wanted = count_ - next;
    const int sent = ::sendmmsg(fd, &headers_[next], static_cast<unsigned>(wanted), MSG_DONTWAIT);
    if (sent > 0) {
      const size_t taken = static_cast<size_t>(sent);
      for (size_t i = next; i < next + taken; ++i) {
        outcome.bytes += headers_[i].msg_len;
        delivered_[i] = 1;
      }
      outcome.sent += taken;
      if (taken < wanted) ++outcome.partial;
      next += taken;
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The send buffer is full: what is left of this tick is dropped, not queued.
      outcome.failed += count_ - next;
      for (size_t i = next; i < count_; ++i) delivered_[i] = 0;
      break;
    }
    // This datagram was refused (e.g. no route, or an ICMP error reported late); the rest may go.
    delivered_[next] = 0;
    ++outcome.failed;
    ++next;
  }
  count_ = 0;
  return outcome;
}

}  // namespace confmix::io
