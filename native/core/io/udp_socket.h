// A non-blocking UDP socket and the batched receive/send scratch (recvmmsg / sendmmsg) the
// media thread drives it with. Linux only.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/port_allocator.h"
#include "core/io/socket_address.h"

namespace confmix::io {

/** Largest datagram confmix receives or sends; anything longer is truncated and rejected. */
constexpr size_t kMaxDatagramBytes = 2048;

/** Owns one non-blocking, close-on-exec UDP socket. Move-only; closes on destruction. */
class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket() { Close(); }
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  /** Creates the socket and binds it to `local`; IPv6 sockets are IPv6-only. On failure the
   *  socket stays closed, `error` says why, and the result tells the port allocator whether
   *  another port could work. */
  BindResult Open(const SocketAddress& local, std::string* error);
  /** Lets a connected peer socket (OpenPeer) share this socket's port from now on. Sockets bind
   *  without SO_REUSEPORT, so a port that another leg or process holds still fails to bind; only
   *  sockets that ask for sharing after binding can be joined. */
  bool AllowPeer();
  /** Opens this socket as the connected peer of a socket bound to `local` (which called
   *  AllowPeer): datagrams from `remote` arrive here, every other source still reaches the bound
   *  socket, and sends skip the per-datagram route lookup. False (and closed) on failure. */
  bool OpenPeer(const SocketAddress& local, const SocketAddress& remote);
  /** Asks the kernel to stamp each datagram with its arrival time (SO_TIMESTAMPNS), so a reader
   *  that drains late still knows when each one came. False when refused. */
  bool TimestampArrivals();
  /** Closes the socket (idempotent). */
  void Close();
  /** The descriptor, or -1 when closed. */
  int fd() const { return fd_; }
  /** True when open. */
  bool is_open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/** Scratch for receiving up to `capacity` datagrams with one recvmmsg call. */
class ReceiveBatch {
 public:
  explicit ReceiveBatch(size_t capacity);
  /** Receives up to `max` (at most capacity()) datagrams queued on `fd` without blocking: count
   *  received, 0 when none (EAGAIN), -1 on another error. A small `max` suits sockets that
   *  usually hold one datagram: recvmmsg then stops sooner, and fewer headers are re-armed. */
  int Receive(int fd, size_t max = SIZE_MAX);
  /** How many datagrams one call can take. */
  size_t capacity() const { return headers_.size(); }
  /** Bytes of datagram `i` of the last Receive. */
  const uint8_t* data(size_t i) const { return &buffers_[i * kMaxDatagramBytes]; }
  /** Length of datagram `i` (its stored part when truncated). */
  size_t size(size_t i) const;
  /** True when datagram `i` was longer than kMaxDatagramBytes. */
  bool truncated(size_t i) const { return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  /** Source address of datagram `i`. */
  SocketAddress source(size_t i) const;
  /** Kernel arrival time of datagram `i` on CLOCK_REALTIME, ns; 0 when the socket does not
   *  stamp arrivals (see UdpSocket::TimestampArrivals). */
  int64_t arrival_realtime_ns(size_t i) const;

 private:
  std::vector<uint8_t> buffers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> sources_;
  std::vector<mmsghdr> headers_;
  std::vector<uint64_t> controls_;  // per datagram: room for one timestamp control message
  size_t control_words_;
};

/** What one Flush did. */
struct SendOutcome {
  size_t sent = 0;     // datagrams the kernel took
  size_t failed = 0;   // datagrams refused (full send buffer, unreachable, ...)
  size_t bytes = 0;    // bytes of the sent datagrams
  size_t partial = 0;  // sendmmsg calls that took only part of what they were given
};

/** Scratch for sending up to `capacity` datagrams with sendmmsg calls. The bytes are not copied:
 *  they must stay valid until Flush. */
class SendBatch {
 public:
  explicit SendBatch(size_t capacity);
  /** Queues one datagram to `to` (empty: the socket is connected); false when the batch is full
   *  (flush first). */
  bool Add(const uint8_t* data, size_t size, const SocketAddress& to);
  /** The same for a datagram sent from two pieces (e.g. a per-stream header and a shared payload). */
  bool Add(const uint8_t* head, size_t head_size, const uint8_t* body, size_t body_size, const SocketAddress& to);
  /** Sends everything queued on `fd` without blocking, then empties the batch. */
  SendOutcome Flush(int fd);
  /** After a Flush, until the next Add: whether its `i`-th datagram (in Add order) was sent. */
  bool delivered(size_t i) const { return delivered_[i] != 0; }
  /** Datagrams queued. */
  size_t size() const { return count_; }
  /** True when no more datagram fits. */
  bool full() const { return count_ == headers_.size(); }

 private:
  std::vector<iovec> iovecs_;       // two per datagram
  std::vector<mmsghdr> headers_;
  std::vector<uint8_t> delivered_;  // per datagram of the last Flush
  size_t count_ = 0;
};

}  // namespace confmix::io
