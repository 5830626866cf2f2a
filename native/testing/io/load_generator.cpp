#include "testing/io/load_generator.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "core/io/tick_clock.h"

namespace confmix::io {

namespace {

constexpr size_t kRtpHeaderBytes = 12;
// Per shared socket: at 50 packets/s each, one socket takes 5000 datagrams/s, few enough that
// the engine threads delivering into its queue seldom contend on its lock.
constexpr size_t kMembersPerSocket = 100;
constexpr size_t kMaxFrameBytes = kMaxDatagramBytes - kRtpHeaderBytes;
constexpr size_t kMaxLoopBytes = size_t{64} << 20;
constexpr int kMaxIntervalMs = 60'000;
// Kernel memory one queued datagram may take (its buffer and bookkeeping, a small payload):
// socket buffers are sized for two rounds of every member's packets at this much each.
constexpr size_t kBufferBytesPerDatagram = 2048;
constexpr size_t kMinBufferBytes = size_t{256} << 10;
constexpr int64_t kNsPerMs = 1'000'000;
constexpr uint32_t kSsrcBase = 0x10000000u;

// Counters read by other threads but written by the generator thread alone: no RMW needed.
void Bump(std::atomic<uint64_t>& counter, uint64_t amount) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

std::string StreamField(size_t stream, const char* field) {
  return "streams[" + std::to_string(stream) + "]." + field;
}

// Asks for `bytes` of buffer, past the system cap when allowed (CAP_NET_ADMIN), else up to it;
// returns what the kernel granted.
int RaiseBuffer(int fd, int force_option, int option, size_t bytes) {
  const int wanted = bytes > static_cast<size_t>(INT32_MAX / 2) ? INT32_MAX / 2 : static_cast<int>(bytes);
  if (setsockopt(fd, SOL_SOCKET, force_option, &wanted, sizeof(wanted)) != 0) {
    setsockopt(fd, SOL_SOCKET, option, &wanted, sizeof(wanted));
  }
  int granted = 0;
  socklen_t length = sizeof(granted);
  getsockopt(fd, SOL_SOCKET, option, &granted, &length);
  return granted;
}

// Mixes a source address (family, address, port) and the socket it arrived on into a hash.
uint64_t HashSource(size_t socket, const SocketAddress& address) {
  uint64_t hash = 0x9e3779b97f4a7c15ull * (socket + 1);
  const sockaddr* raw = address.sockaddr_ptr();
  if (address.is_ipv6()) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(raw);
    uint64_t halves[2];
    std::memcpy(halves, &v6->sin6_addr, sizeof(halves));
    hash ^= halves[0] + 0x632be59bd9b4e019ull + (hash << 6) + (hash >> 2);
    hash ^= halves[1] + 0x632be59bd9b4e019ull + (hash << 6) + (hash >> 2);
    hash ^= static_cast<uint64_t>(v6->sin6_port) << 32;
  } else if (!address.empty()) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(raw);
    hash ^= (static_cast<uint64_t>(v4->sin_addr.s_addr) << 16) | v4->sin_port;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

Status LoadGenerator::ValidateOptions(const LoadGeneratorOptions& options) {
  if (options.tick_ms != 10 && options.tick_ms != 20 && options.tick_ms != 40 && options.tick_ms != 60) {
    return Status::Error(StatusCode::kInvalidArgument, "tickMs must be 10, 20, 40 or 60");
  }
  if (options.streams.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "streams must name at least one stream");
  }
  size_t members = 0;
  size_t loop_bytes = 0;
  size_t traced = 0;
  for (size_t s = 0; s < options.streams.size(); ++s) {
    const LoadStream& stream = options.streams[s];
    if (stream.traced) traced += stream.members;
    if (traced > kMaxTracedMembers) {
      return Status::Error(StatusCode::kInvalidArgument, "traced streams hold more than 16 members");
    }
    if (stream.members == 0 || stream.members > kMaxMembers) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "members") + " must be 1..20000");
    }
    members += stream.members;
    if (members > kMaxMembers) {
      return Status::Error(StatusCode::kInvalidArgument, "the streams' members add up to more than 20000");
    }
    if (stream.payload_type < 0 || stream.payload_type > 127) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "payloadType") + " must be 0..127");
    }
    if (stream.clock_rate < 1000 || stream.clock_rate > 192000) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "clockRate") + " must be 1000..192000");
    }
    if (stream.interval_ms < options.tick_ms || stream.interval_ms > kMaxIntervalMs ||
        stream.interval_ms % options.tick_ms != 0) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "intervalMs") + " must be a multiple of tickMs (" +
                                                            std::to_string(options.tick_ms) + ") up to 60000");
    }
    if (static_cast<int64_t>(stream.clock_rate) * stream.interval_ms % 1000 != 0) {
      return Status::Error(StatusCode::kInvalidArgument,
                           StreamField(s, "clockRate") + " times intervalMs must be whole samples (a multiple of 1000)");
    }
    if (stream.frames.empty()) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "frames") + " must hold at least one payload");
    }
    if (stream.first_frame >= stream.frames.size()) {
      return Status::Error(StatusCode::kInvalidArgument, StreamField(s, "firstFrame") + " must be below frames.length");
    }
    for (const std::vector<uint8_t>& frame : stream.frames) {
      if (frame.size() > kMaxFrameBytes) {
        return Status::Error(StatusCode::kInvalidArgument,
                             StreamField(s, "frames") + " holds a payload over " + std::to_string(kMaxFrameBytes) + " bytes");
      }
      loop_bytes += frame.size();
    }
    if (loop_bytes > kMaxLoopBytes) {
      return Status::Error(StatusCode::kInvalidArgument, "the streams' frames add up to more than 64 MiB");
    }
  }
  if (options.sockets > kMaxSockets || options.sockets > members) {
    return Status::Error(StatusCode::kInvalidArgument, "sockets must be 1..256 and at most the members (" +
                                                          std::to_string(members) + ")");
  }
  if (options.drain_ms < 0 || options.drain_ms > 60'000) {
    return Status::Error(StatusCode::kInvalidArgument, "drainMs must be 0..60000");
  }
  SocketAddress local;
  if (!SocketAddress::Parse(options.local_address, 0, &local)) {
    return Status::Error(StatusCode::kInvalidArgument, "localAddress is not a numeric address: " + options.local_address);
  }
  return Status::Ok();
}

namespace {

size_t CountMembers(const LoadGeneratorOptions& options) {
  size_t members = 0;
  for (const LoadStream& stream : options.streams) members += stream.members;
  return members;
}

}  // namespace

LoadGenerator::LoadGenerator(LoadGeneratorOptions options)
    : options_(std::move(options)),
      members_(CountMembers(options_)),
      receive_batch_(kReceiveBatch),
      received_(std::make_unique<std::atomic<uint64_t>[]>(members_)),
      sent_by_(std::make_unique<std::atomic<uint64_t>[]>(members_)) {}

std::unique_ptr<LoadGenerator> LoadGenerator::Create(LoadGeneratorOptions options, Status* status) {
  *status = ValidateOptions(options);
  if (!status->ok()) return nullptr;
  std::unique_ptr<LoadGenerator> generator(new LoadGenerator(std::move(options)));
  *status = generator->Bind();
  if (!status->ok()) return nullptr;  // its sockets close with it
  return generator;
}

Status LoadGenerator::Bind() {
  const size_t socket_count =
      options_.sockets > 0 ? options_.sockets : (members_ + kMembersPerSocket - 1) / kMembersPerSocket;
  SocketAddress local;
  SocketAddress::Parse(options_.local_address, 0, &local);
  // Two rounds of the busiest socket's members, each sending and receiving one datagram.
  const size_t members_per_socket = (members_ + socket_count - 1) / socket_count;
  size_t buffer_bytes = 2 * members_per_socket * kBufferBytesPerDatagram;
  if (buffer_bytes < kMinBufferBytes) buffer_bytes = kMinBufferBytes;
  sockets_.resize(socket_count);
  receive_buffer_bytes_ = INT32_MAX;
  send_buffer_bytes_ = INT32_MAX;
  for (UdpSocket& socket : sockets_) {
    std::string error;
    if (socket.Open(local, &error) != BindResult::kBound) return Status::Error(StatusCode::kSystem, error);
    const int receive = RaiseBuffer(socket.fd(), SO_RCVBUFFORCE, SO_RCVBUF, buffer_bytes);
    const int send = RaiseBuffer(socket.fd(), SO_SNDBUFFORCE, SO_SNDBUF, buffer_bytes);
    if (receive < receive_buffer_bytes_) receive_buffer_bytes_ = receive;
    if (send < send_buffer_bytes_) send_buffer_bytes_ = send;
  }

  // The streams as the send loop reads them, their frames in one arena.
  size_t loop_bytes = 0;
  for (const LoadStream& stream : options_.streams) {
    for (const std::vector<uint8_t>& frame : stream.frames) loop_bytes += frame.size();
  }
  frame_bytes_.reserve(loop_bytes);
  headers_.assign(members_ * kRtpHeaderBytes, 0);
  size_t member = 0;
  for (const LoadStream& stream : options_.streams) {
    StreamPlan plan;
    plan.first_member = member;
    plan.members = stream.members;
    plan.interval_ticks = static_cast<uint64_t>(stream.interval_ms / options_.tick_ms);
    plan.timestamp_step = static_cast<uint32_t>(static_cast<int64_t>(stream.clock_rate) * stream.interval_ms / 1000);
    plan.payload_type = static_cast<uint8_t>(stream.payload_type);
    plan.first_frame = stream.first_frame;
    plan.first_frame_ref = frame_refs_.size();
    plan.frames = stream.frames.size();
    for (const std::vector<uint8_t>& frame : stream.frames) {
      frame_refs_.push_back(FrameRef{frame_bytes_.size(), frame.size()});
      frame_bytes_.insert(frame_bytes_.end(), frame.begin(), frame.end());
    }
    // The fixed parts of each member's header: version 2, payload type, SSRC.
    for (size_t j = 0; j < stream.members; ++j, ++member) {
      uint8_t* header = &headers_[member * kRtpHeaderBytes];
      header[0] = 0x80;
      header[1] = plan.payload_type;
      const uint32_t ssrc = htonl(kSsrcBase + static_cast<uint32_t>(member));
      std::memcpy(header + 8, &ssrc, 4);
    }
    streams_.push_back(plan);
  }
  packets_built_.assign(members_, 0);
  send_batches_.resize(socket_count);

  // Traced members: their sockets report each datagram's arrival time.
  trace_slot_.assign(members_, -1);
  member = 0;
  for (const LoadStream& stream : options_.streams) {
    for (size_t j = 0; j < stream.members; ++j, ++member) {
      if (!stream.traced) continue;
      trace_slot_[member] = static_cast<int32_t>(traces_.size());
      traces_.emplace_back();
    }
  }
  if (!traces_.empty()) {
    for (UdpSocket& socket : sockets_) socket.TimestampArrivals();
  }
  return Status::Ok();
}

LoadGenerator::~LoadGenerator() { Stop(); }

std::vector<int> LoadGenerator::ports() const {
  std::vector<int> socket_ports;
  socket_ports.reserve(sockets_.size());
  for (const UdpSocket& socket : sockets_) {
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&bound), &length);
    socket_ports.push_back(SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port());
  }
  std::vector<int> ports(members_);
  for (size_t i = 0; i < members_; ++i) ports[i] = socket_ports[i % socket_ports.size()];
  return ports;
}

void LoadGenerator::BuildSourceIndex() {
  size_t slots = 1;
  while (slots < 2 * members_) slots <<= 1;
  source_index_.assign(slots, -1);
  source_mask_ = slots - 1;
  const size_t socket_count = sockets_.size();
  for (size_t member = 0; member < members_; ++member) {
    const size_t socket = member % socket_count;
    size_t slot = HashSource(socket, targets_[member]) & source_mask_;
    bool taken = false;  // a lower member of this socket already has this target
    while (source_index_[slot] >= 0) {
      const size_t other = static_cast<size_t>(source_index_[slot]);
      if (other % socket_count == socket && targets_[other] == targets_[member]) {
        taken = true;
        break;
      }
      slot = (slot + 1) & source_mask_;
    }
    if (!taken) source_index_[slot] = static_cast<int32_t>(member);
  }
}

size_t LoadGenerator::FindMember(size_t socket, const SocketAddress& source) const {
  const size_t socket_count = sockets_.size();
  size_t slot = HashSource(socket, source) & source_mask_;
  for (;;) {
    const int32_t entry = source_index_[slot];
    if (entry < 0) return members_;
    const size_t member = static_cast<size_t>(entry);
    if (member % socket_count == socket && targets_[member] == source) return member;
    slot = (slot + 1) & source_mask_;
  }
}

Status LoadGenerator::Start(std::vector<SocketAddress> targets) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (started_) return Status::Error(StatusCode::kInvalidState, "the load generator was already started");
  if (targets.size() != members_) {
    return Status::Error(StatusCode::kInvalidArgument, "targets must hold one address per member (" +
                                                          std::to_string(members_) + "), got " +
                                                          std::to_string(targets.size()));
  }
  SocketAddress local;
  SocketAddress::Parse(options_.local_address, 0, &local);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].empty() || targets[i].is_ipv6() != local.is_ipv6()) {
      return Status::Error(StatusCode::kInvalidArgument, "targets[" + std::to_string(i) + "] is not an " +
                                                            (local.is_ipv6() ? "IPv6" : "IPv4") +
                                                            " address like localAddress");
    }
  }
  targets_ = std::move(targets);
  BuildSourceIndex();
  try {
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this] { Run(); });
  } catch (...) {
    running_.store(false, std::memory_order_release);
    return Status::Error(StatusCode::kSystem, "could not start the load generator thread");
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
  uint64_t strangers = 0;
  for (size_t socket = 0; socket < sockets_.size(); ++socket) {
    for (;;) {
      const int got = receive_batch_.Receive(sockets_[socket].fd());
      if (got <= 0) break;
      for (int i = 0; i < got; ++i) {
        const size_t member = FindMember(socket, receive_batch_.source(static_cast<size_t>(i)));
        if (member < members_) {
          Bump(received_[member], 1);
          if (trace_slot_[member] >= 0) TraceReceive(member, static_cast<size_t>(i));
        } else {
          ++strangers;
        }
      }
      if (static_cast<size_t>(got) < receive_batch_.capacity()) break;
    }
  }
  if (strangers > 0) Bump(strangers_, strangers);
}

void LoadGenerator::TraceReceive(size_t member, size_t datagram) {
  int64_t at_ns = receive_batch_.arrival_realtime_ns(datagram);
  if (at_ns == 0) at_ns = RealtimeNowNs();
  const uint8_t* data = receive_batch_.data(datagram);
  std::lock_guard<std::mutex> lock(trace_mutex_);
  LoadTrace& trace = traces_[static_cast<size_t>(trace_slot_[member])];
  if (trace.receives.size() < kMaxTraceRecords) {
    trace.receives.push_back({at_ns, std::vector<uint8_t>(data, data + receive_batch_.size(datagram))});
  }
}

LoadTrace LoadGenerator::Trace(size_t member) const {
  if (member >= members_ || trace_slot_[member] < 0) return {};
  std::lock_guard<std::mutex> lock(trace_mutex_);
  return traces_[static_cast<size_t>(trace_slot_[member])];
}

void LoadGenerator::Queue(size_t member, const uint8_t* payload, size_t payload_bytes) {
  const size_t socket = member % sockets_.size();
  SocketSendBatch& sends = send_batches_[socket];
  sends.member_of[sends.batch.size()] = static_cast<uint32_t>(member);
  sends.batch.Add(&headers_[member * kRtpHeaderBytes], kRtpHeaderBytes, payload, payload_bytes, targets_[member]);
  if (sends.batch.full()) Flush(socket);
}

void LoadGenerator::Flush(size_t socket) {
  SocketSendBatch& sends = send_batches_[socket];
  const size_t queued = sends.batch.size();
  const int64_t before_ns = traces_.empty() ? 0 : RealtimeNowNs();
  const SendOutcome outcome = sends.batch.Flush(sockets_[socket].fd());
  for (size_t i = 0; i < queued; ++i) {
    if (!sends.batch.delivered(i)) continue;
    const size_t member = sends.member_of[i];
    Bump(sent_by_[member], 1);
    if (trace_slot_[member] >= 0) {
      std::lock_guard<std::mutex> lock(trace_mutex_);
      LoadTrace& trace = traces_[static_cast<size_t>(trace_slot_[member])];
      // The packet just sent is the member's latest: each member is queued once per round.
      if (trace.sends.size() < kMaxTraceRecords) trace.sends.push_back({packets_built_[member] - 1, before_ns});
    }
  }
  Bump(sent_, outcome.sent);
  if (outcome.failed > 0) Bump(send_failed_, outcome.failed);
  if (outcome.partial > 0) Bump(partial_sends_, outcome.partial);
}

void LoadGenerator::SendRound(uint64_t round) {
  for (const StreamPlan& stream : streams_) {
    // Members of a slower stream are spread over its ticks: member j sends when round % m == j % m.
    const size_t phase = static_cast<size_t>(round % stream.interval_ticks);
    const size_t step = static_cast<size_t>(stream.interval_ticks);
    for (size_t j = phase; j < stream.members; j += step) {
      const size_t member = stream.first_member + j;
      const uint64_t number = packets_built_[member]++;
      uint8_t* header = &headers_[member * kRtpHeaderBytes];
      const uint16_t sequence = htons(static_cast<uint16_t>(number));
      const uint32_t timestamp = htonl(static_cast<uint32_t>(number * stream.timestamp_step));
      std::memcpy(header + 2, &sequence, 2);
      std::memcpy(header + 4, &timestamp, 4);
      const FrameRef& frame = frame_refs_[stream.first_frame_ref + (stream.first_frame + number) % stream.frames];
      Queue(member, frame_bytes_.data() + frame.offset, frame.size);
    }
  }
  for (size_t socket = 0; socket < send_batches_.size(); ++socket) {
    if (send_batches_[socket].batch.size() > 0) Flush(socket);
  }
}

void LoadGenerator::Run() {
  prctl(PR_SET_NAME, "confmix-loadgen", 0UL, 0UL, 0UL);
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  if (options_.realtime_priority > 0) {
    // Peers on other machines are not slowed by the engine's work. Here they share its cores,
    // and its real-time clock and pool threads would hold an ordinary sender back for whole
    // ticks, so its packets would reach the engine in bursts no real network makes.
    sched_param param{};
    param.sched_priority = options_.realtime_priority;
    realtime_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0, std::memory_order_relaxed);
  }
  const int64_t tick_ns = static_cast<int64_t>(options_.tick_ms) * kNsPerMs;
  TickSchedule schedule(MonotonicNowNs(), tick_ns);
  first_send_ns_.store(schedule.deadline_ns(), std::memory_order_relaxed);
  uint64_t round = 0;
  int64_t drain_until_ns = -1;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    SleepUntilNs(schedule.deadline_ns());
    const int64_t now = MonotonicNowNs();
    const int64_t lateness = now - schedule.deadline_ns();
    if (lateness > lateness_max_ns_.load(std::memory_order_relaxed)) {
      lateness_max_ns_.store(lateness, std::memory_order_relaxed);
    }
    Receive();
    const bool sending = options_.rounds == 0 || round < options_.rounds;
    if (sending) {
      SendRound(round);
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
  stats.members = members_;
  stats.sockets = sockets_.size();
  stats.ticks = ticks_.load(std::memory_order_relaxed);
  stats.sent = sent_.load(std::memory_order_relaxed);
  stats.send_failed = send_failed_.load(std::memory_order_relaxed);
  stats.partial_sends = partial_sends_.load(std::memory_order_relaxed);
  stats.strangers = strangers_.load(std::memory_order_relaxed);
  stats.cpu_ns = cpu_ns_.load(std::memory_order_relaxed);
  stats.lateness_max_ns = lateness_max_ns_.load(std::memory_order_relaxed);
  stats.realtime = realtime_.load(std::memory_order_relaxed);
  stats.receive_buffer_bytes = receive_buffer_bytes_;
  stats.send_buffer_bytes = send_buffer_bytes_;
  uint64_t min = UINT64_MAX;
  for (size_t i = 0; i < members_; ++i) {
    const uint64_t value = received_[i].load(std::memory_order_relaxed);
    stats.received += value;
    if (value < min) min = value;
  }
  stats.min_received = members_ == 0 ? 0 : min;
  if (stats.ticks > 0) {
    // From the first round's deadline to one tick after the last round: the span in which the
    // packets of every round were due.
    const int64_t span_ns = last_round_ns_.load(std::memory_order_relaxed) -
                            first_send_ns_.load(std::memory_order_relaxed) +
                            static_cast<int64_t>(options_.tick_ms) * kNsPerMs;
    stats.elapsed_ms = static_cast<double>(span_ns) / 1e6;
    const double seconds = stats.elapsed_ms / 1000.0;
    stats.min_packets_per_second = static_cast<double>(stats.min_received) / seconds;
    stats.avg_packets_per_second = static_cast<double>(stats.received) / static_cast<double>(stats.members) / seconds;
  }
  return stats;
}

}  // namespace confmix::io
