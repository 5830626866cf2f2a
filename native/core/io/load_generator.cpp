#include "core/io/load_generator.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "core/io/tick_clock.h"

namespace confmix::io {

namespace {

constexpr size_t kRtpHeaderBytes = 12;
constexpr size_t kMaxMembers = 20000;
constexpr int64_t kNsPerMs = 1'000'000;

void Bump(std::atomic<uint64_t>& counter, uint64_t amount) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

}  // namespace

Status LoadGenerator::ValidateOptions(const LoadGeneratorOptions& options) {
  if (options.members == 0 || options.members > kMaxMembers) {
    return Status::Error(ErrorCode::kInvalidArgument, "members must be 1..20000");
  }
  if (options.interval_ms != 10 && options.interval_ms != 20 && options.interval_ms != 40 && options.interval_ms != 60) {
    return Status::Error(ErrorCode::kInvalidArgument, "intervalMs must be 10, 20, 40 or 60");
  }
  if (options.payload_type < 0 || options.payload_type > 127) {
    return Status::Error(ErrorCode::kInvalidArgument, "payloadType must be 0..127");
  }
  if (options.clock_rate < 8000 || options.clock_rate > 48000 || options.clock_rate % 1000 != 0) {
    return Status::Error(ErrorCode::kInvalidArgument, "clockRate must be 8000..48000, a multiple of 1000");
  }
  if (options.payload_bytes > kMaxDatagramBytes - kRtpHeaderBytes) {
    return Status::Error(ErrorCode::kInvalidArgument, "payloadBytes is too large for one datagram");
  }
  if (options.drain_ms < 0 || options.drain_ms > 60'000) {
    return Status::Error(ErrorCode::kInvalidArgument, "drainMs must be 0..60000");
  }
  SocketAddress local;
  if (!SocketAddress::Parse(options.local_address, 0, &local)) {
    return Status::Error(ErrorCode::kInvalidArgument, "localAddress is not a numeric address: " + options.local_address);
  }
  return Status::Ok();
}

LoadGenerator::LoadGenerator(LoadGeneratorOptions options)
    : options_(std::move(options)),
      received_(options_.members),
      receive_batch_(64),
      send_batch_(1) {}

std::unique_ptr<LoadGenerator> LoadGenerator::Create(LoadGeneratorOptions options, Status* status) {
  *status = ValidateOptions(options);
  if (!status->ok()) return nullptr;
  std::unique_ptr<LoadGenerator> generator(new LoadGenerator(std::move(options)));
  const LoadGeneratorOptions& o = generator->options_;
  generator->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (generator->epoll_fd_ < 0) {
    *status = Status::Error(ErrorCode::kSystem, "epoll_create1 failed");
    return nullptr;
  }
  SocketAddress local;
  SocketAddress::Parse(o.local_address, 0, &local);
  generator->sockets_.resize(o.members);
  const size_t packet_bytes = kRtpHeaderBytes + o.payload_bytes;
  generator->packets_.assign(o.members * packet_bytes, 0);
  for (size_t i = 0; i < o.members; ++i) {
    std::string error;
    if (generator->sockets_[i].Open(local, &error) != BindResult::kBound) {
      *status = Status::Error(ErrorCode::kSystem, error);
      return nullptr;
    }
    epoll_event interest{};
    interest.events = EPOLLIN;
    interest.data.u64 = i;
    if (epoll_ctl(generator->epoll_fd_, EPOLL_CTL_ADD, generator->sockets_[i].fd(), &interest) != 0) {
      *status = Status::Error(ErrorCode::kSystem, "epoll_ctl failed");
      return nullptr;
    }
    // The fixed parts of member i's packet: version 2, payload type, SSRC; a payload pattern.
    uint8_t* packet = &generator->packets_[i * packet_bytes];
    packet[0] = 0x80;
    packet[1] = static_cast<uint8_t>(o.payload_type);
    const uint32_t ssrc = htonl(0x10000000u + static_cast<uint32_t>(i));
    std::memcpy(packet + 8, &ssrc, 4);
    for (size_t b = kRtpHeaderBytes; b < packet_bytes; ++b) packet[b] = static_cast<uint8_t>(0xd5 ^ b);
  }
  *status = Status::Ok();
  return generator;
}

LoadGenerator::~LoadGenerator() {
  Stop();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::vector<int> LoadGenerator::ports() const {
  std::vector<int> ports;
  ports.reserve(sockets_.size());
  for (const UdpSocket& socket : sockets_) {
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&bound), &length);
    ports.push_back(SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port());
  }
  return ports;
}

Status LoadGenerator::Start(std::vector<SocketAddress> targets) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (started_) return Status::Error(ErrorCode::kInvalidState, "the load generator was already started");
  if (targets.empty()) return Status::Error(ErrorCode::kInvalidArgument, "targets must not be empty");
  targets_ = std::move(targets);
  try {
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this] { Run(); });
  } catch (...) {
    running_.store(false, std::memory_order_release);
    return Status::Error(ErrorCode::kSystem, "could not start the load generator thread");
  }
  started_ = true;
  return Status::Ok();
}

void LoadGenerator::Stop() {
  std::lock_guard<std::mutex> lock(control_mutex_);
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void LoadGenerator::Receive() {
  epoll_event ready[256];
  for (;;) {
    const int count = epoll_wait(epoll_fd_, ready, 256, 0);
    for (int i = 0; i < count; ++i) {
      const size_t member = static_cast<size_t>(ready[i].data.u64);
      for (;;) {
        const int got = receive_batch_.Receive(sockets_[member].fd());
        if (got <= 0) break;
        Bump(received_[member], static_cast<uint64_t>(got));
        if (static_cast<size_t>(got) < receive_batch_.capacity()) break;
      }
    }
    if (count < 256) return;
  }
}

void LoadGenerator::Run() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const int64_t interval_ns = static_cast<int64_t>(options_.interval_ms) * kNsPerMs;
  const uint32_t timestamp_step = static_cast<uint32_t>(options_.clock_rate / 1000 * options_.interval_ms);
  const size_t packet_bytes = kRtpHeaderBytes + options_.payload_bytes;
  TickSchedule schedule(MonotonicNowNs(), interval_ns);
  first_send_ns_.store(schedule.deadline_ns(), std::memory_order_relaxed);
  uint64_t round = 0;
  int64_t drain_until_ns = -1;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    SleepUntilNs(schedule.deadline_ns());
    const int64_t now = MonotonicNowNs();
    const int64_t lateness = now - schedule.deadline_ns();
    if (lateness > lateness_max_ns_.load(std::memory_order_relaxed)) lateness_max_ns_.store(lateness, std::memory_order_relaxed);
    Receive();
    const bool sending = options_.packets == 0 || round < options_.packets;
    if (sending) {
      const uint16_t sequence = static_cast<uint16_t>(round);
      const uint32_t timestamp = static_cast<uint32_t>(round) * timestamp_step;
      const uint16_t sequence_be = htons(sequence);
      const uint32_t timestamp_be = htonl(timestamp);
      uint64_t sent = 0;
      uint64_t failed = 0;
      for (size_t i = 0; i < sockets_.size(); ++i) {
        uint8_t* packet = &packets_[i * packet_bytes];
        std::memcpy(packet + 2, &sequence_be, 2);
        std::memcpy(packet + 4, &timestamp_be, 4);
        send_batch_.Add(packet, packet_bytes, targets_[i % targets_.size()]);
        const SendOutcome outcome = send_batch_.Flush(sockets_[i].fd());
        sent += outcome.sent;
        failed += outcome.failed;
      }
      Bump(sent_, sent);
      Bump(send_failed_, failed);
      ++round;
      Bump(ticks_, 1);
      last_round_ns_.store(now, std::memory_order_relaxed);
    } else if (drain_until_ns < 0) {
      drain_until_ns = now + static_cast<int64_t>(options_.drain_ms) * kNsPerMs;
    }
    cpu_ns_.store(ThreadCpuNs(), std::memory_order_relaxed);
    if (drain_until_ns >= 0 && now >= drain_until_ns) break;
    schedule.Advance();
  }
  running_.store(false, std::memory_order_release);
  cpu_ns_.store(ThreadCpuNs(), std::memory_order_relaxed);
  if (drain_until_ns >= 0 && options_.on_done) options_.on_done();
}

LoadGeneratorStats LoadGenerator::Stats() const {
  LoadGeneratorStats stats;
  stats.running = running_.load(std::memory_order_acquire);
  stats.members = sockets_.size();
  stats.ticks = ticks_.load(std::memory_order_relaxed);
  stats.sent = sent_.load(std::memory_order_relaxed);
  stats.send_failed = send_failed_.load(std::memory_order_relaxed);
  stats.cpu_ns = cpu_ns_.load(std::memory_order_relaxed);
  stats.lateness_max_ns = lateness_max_ns_.load(std::memory_order_relaxed);
  uint64_t min = UINT64_MAX;
  for (const auto& count : received_) {
    const uint64_t value = count.load(std::memory_order_relaxed);
    stats.received += value;
    if (value < min) min = value;
  }
  stats.min_received = received_.empty() ? 0 : min;
  if (stats.ticks > 0) {
    // From the first round's deadline to one interval after the last round: the span in which
    // the packets of every round were due.
    const int64_t span_ns = last_round_ns_.load(std::memory_order_relaxed) -
                            first_send_ns_.load(std::memory_order_relaxed) +
                            static_cast<int64_t>(options_.interval_ms) * kNsPerMs;
    stats.elapsed_ms = static_cast<double>(span_ns) / 1e6;
    const double seconds = stats.elapsed_ms / 1000.0;
    stats.min_packets_per_second = static_cast<double>(stats.min_received) / seconds;
    stats.avg_packets_per_second = static_cast<double>(stats.received) / static_cast<double>(stats.members) / seconds;
  }
  return stats;
}

}  // namespace confmix::io
