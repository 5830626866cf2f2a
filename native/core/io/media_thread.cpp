#include "core/io/media_thread.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <utility>

#include "core/io/tick_clock.h"
#include "core/io/worker_pool.h"

namespace confmix::io {

namespace {

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kSendFailed) + 1;
constexpr size_t kReceiveBatchSize = 64;
constexpr size_t kSendBatchSize = 64;
// A flooding peer must not starve the ticks: the rest of its queue waits for the next wake.
constexpr size_t kMaxDatagramsPerSocketPerWake = 1024;
// A leg's socket usually holds one datagram per interval: the first recvmmsg asks for few.
constexpr size_t kFirstReceiveBatch = 4;
// Errors one drain reads from a socket before it carries the socket over to the next drain.
constexpr int kMaxReceiveErrorsPerSocket = 4;
// Leg sockets are edge-triggered: each datagram's arrival reports its socket once, so a drained
// socket costs epoll nothing until the next one.
constexpr uint32_t kLegSocketEvents = EPOLLIN | EPOLLET;
// Fewer legs than this flush on the media thread alone: waking a helper would cost more.
constexpr size_t kMinParallelFlushLegs = 256;
// Marks a leg's connected peer socket in its epoll data (the rest is the leg id).
constexpr uint64_t kPeerSocketBit = uint64_t{1} << 63;
constexpr int64_t kNsPerMs = 1'000'000;
// A busy thread drains its sockets this often between ticks. A quiet one sleeps until a drain's
// length before its deadline, drains, and ticks in the same wake: a wake costs more than a quiet
// drain, and the tick still starts on time.
constexpr int64_t kIoSliceNs = kNsPerMs;
// A quiet drain that ends this close to the deadline waits for it spinning, not asleep.
constexpr int64_t kMaxSpinNs = 100'000;
// An interval that brings this many datagrams makes the next one busy: draining them all at the
// deadline would delay the tick by more than a few tens of microseconds.
constexpr size_t kBusyDatagramsPerInterval = 64;
// No deadline: sleep until signalled.
constexpr int64_t kNever = INT64_MAX;
constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;
// The thread's load is the busy share of windows this long.
constexpr int64_t kLoadWindowNs = 1000 * kNsPerMs;

// Each counter has one writer (the media thread, or the flush for a leg's send counters), so a
// plain load and store suffices.
void Bump(std::atomic<uint64_t>& counter, uint64_t amount = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

bool IsSupportedInterval(int interval_ms) {
  return interval_ms == 10 || interval_ms == 20 || interval_ms == 40 || interval_ms == 60;
}

}  // namespace

struct MediaThread::Leg {
  Leg(LegId leg_id, LegTransport leg_transport, size_t inbound_datagrams, size_t inbound_bytes)
      : id(leg_id), transport(leg_transport), inbound(inbound_datagrams, inbound_bytes) {}

  const LegId id;
  const LegTransport transport;
  bool ipv6 = false;
  int port = 0;
  SocketAddress local;   // the bound address and port
  UdpSocket socket;      // bound to the port: receives from every source
  UdpSocket peer;        // connected to the remote on the same port (when open): its datagrams
                         // arrive here, and sends skip the route lookup
  SocketAddress peer_remote;

  // Media-thread state.
  SocketAddress remote;
  bool latching = false;
  bool latched = false;
  int64_t timeout_ns = 0;
  int64_t last_valid_ns = 0;
  bool timed_out = false;
  PacketSink* sink = nullptr;
  JobId sink_owner = 0;
  std::atomic<uint64_t> unreported[kDropReasonCount] = {};  // the flush adds while CheckLegs takes
  int64_t last_drop_report_ns = LLONG_MIN / 2;
  SocketAddress last_stranger;
  int32_t outbox_head = -1;
  int32_t outbox_tail = -1;

  // Counters read by Stats() on other threads.
  std::atomic<uint64_t> packets_in{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> packets_out{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> dropped[kDropReasonCount] = {};

  // What Stats() shows of the media-thread state; written only when it changes.
  mutable std::mutex published_mutex;
  SocketAddress published_remote;
  bool published_connected = false;
  bool published_latched = false;
  bool published_timed_out = false;

  // Packets pushed by another thread (external legs); the lock is held only for a copy or a swap.
  std::mutex inbound_mutex;
  DatagramBatch inbound;
  uint64_t inbound_overflow = 0;
  std::atomic<bool> inbound_ready{false};

  void Publish() {
    std::lock_guard<std::mutex> lock(published_mutex);
    published_remote = remote;
    published_connected = peer.is_open();
    published_latched = latched;
    published_timed_out = timed_out;
  }
};

struct MediaThread::JobSlot {
  JobId id = 0;
  int interval_ms = 0;
  std::unique_ptr<TickJob> job;
  TickSchedule schedule;
  std::atomic<uint64_t> ticks{0};
  std::atomic<bool> asleep{false};  // written by the media thread only
};

struct MediaThread::Command {
  enum class Type : uint8_t {
    kAddLeg, kCloseLeg, kSetRemote, kSetLatching, kSetTimeout, kAttachSink, kAddJob, kRemoveJob, kRouseJob,
  };
  Type type = Type::kAddLeg;
  LegId leg = 0;
  JobId job = 0;
  std::shared_ptr<Leg> leg_ptr;
  std::shared_ptr<JobSlot> job_ptr;
  SocketAddress address;
  bool flag = false;
  int64_t value = 0;
  PacketSink* sink = nullptr;
  const TickJob* tick_job = nullptr;  // kRouseJob: compared, never dereferenced
};

// ---------------------------------------------------------------------------------------------
// Control side.

Status MediaThread::ValidateOptions(const MediaThreadOptions& options) {
  const std::string range = PortAllocator::Validate(options.port_min, options.port_max, options.even_ports);
  if (!range.empty()) return Status::Error(StatusCode::kInvalidArgument, range);
  if (options.idle_wake_ms < 1 || options.idle_wake_ms > 1000) {
    return Status::Error(StatusCode::kInvalidArgument, "idleWakeMs must be 1..1000");
  }
  if (options.realtime_priority < 0 || options.realtime_priority > 99) {
    return Status::Error(StatusCode::kInvalidArgument, "realtimePriority must be 0..99");
  }
  if (options.drop_report_interval_ms < 0 || options.drop_report_interval_ms > 3'600'000) {
    return Status::Error(StatusCode::kInvalidArgument, "dropReportIntervalMs must be 0..3600000");
  }
  if (options.max_tick_datagrams == 0 || options.max_tick_bytes < kMaxDatagramBytes ||
      options.max_outgoing_datagrams == 0 || options.max_outgoing_bytes < kMaxDatagramBytes ||
      options.max_inbound_datagrams == 0 || options.max_inbound_bytes < kMaxDatagramBytes ||
      options.max_events == 0 || options.max_tick_datagrams > INT32_MAX) {
    return Status::Error(StatusCode::kInvalidArgument, "queue caps must hold at least one datagram");
  }
  return Status::Ok();
}

MediaThread::MediaThread(MediaThreadOptions options)
    : options_(std::move(options)),
      epoch_ns_(MonotonicNowNs()),
      ports_(options_.port_min, options_.port_max, options_.even_ports),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wait_fd_(epoll_create1(EPOLL_CLOEXEC)),
      timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      ready_(1),
      receive_batch_(kReceiveBatchSize),
      outbox_(options_.max_tick_datagrams, options_.max_tick_bytes),
      flushing_(options_.max_tick_datagrams, options_.max_tick_bytes),
      inbound_taken_(options_.max_inbound_datagrams, options_.max_inbound_bytes),
      outgoing_(options_.max_outgoing_datagrams, options_.max_outgoing_bytes) {
  outbox_next_.reserve(options_.max_tick_datagrams);
  flushing_next_.reserve(options_.max_tick_datagrams);
  // One send scratch per worker-pool slot (0: this thread).
  const size_t slots = WorkerPool::Shared().workers() + 1;
  send_batches_.reserve(slots);
  for (size_t slot = 0; slot < slots; ++slot) send_batches_.emplace_back(kSendBatchSize);
  local_events_.reserve(options_.max_events);
  pending_events_.reserve(options_.max_events);
  for (const int fd : {timer_fd_, wake_fd_}) {
    if (wait_fd_ < 0 || fd < 0) break;
    epoll_event interest{};
    interest.events = EPOLLIN;
    interest.data.fd = fd;
    epoll_ctl(wait_fd_, EPOLL_CTL_ADD, fd, &interest);
  }
}

MediaThread::~MediaThread() {
  Stop();
  for (const int fd : {epoll_fd_, wait_fd_, timer_fd_, wake_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Status MediaThread::Start() {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ != State::kCreated) {
    return Status::Error(StatusCode::kInvalidState,
                         state_ == State::kRunning ? "the media thread is already running"
                                                   : "the media thread is stopped");
  }
  if (epoll_fd_ < 0 || wait_fd_ < 0) return Status::Error(StatusCode::kSystem, "epoll_create1 failed");
  if (timer_fd_ < 0 || wake_fd_ < 0) return Status::Error(StatusCode::kSystem, "timerfd_create or eventfd failed");
  stop_requested_.store(false, std::memory_order_release);
  try {
    std::promise<void> scheduled;
    std::future<void> ready = scheduled.get_future();
    thread_ = std::thread([this, &scheduled] { Run(&scheduled); });
    media_handle_ = thread_.native_handle();
    // Started means scheduled: stats read right after Start see the priority the thread runs at.
    ready.wait();
  } catch (...) {
    return Status::Error(StatusCode::kSystem, "could not start the media thread");
  }
  state_ = State::kRunning;
  return Status::Ok();
}

void MediaThread::Stop() {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return;
  if (state_ == State::kRunning) {
    stop_requested_.store(true, std::memory_order_release);
    Signal();
    thread_.join();
  }
  FinishFlush();
  state_ = State::kStopped;
  // The media state belongs to this thread now. Commands never applied are dropped with it.
  commands_.TakeAll(applying_);
  applying_.clear();
  for (auto& entry : legs_) {
    Leg& leg = *entry.second;
    ClosePeer(leg);
    if (leg.socket.is_open()) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg.socket.fd(), nullptr);
      leg.socket.Close();
      ports_.Release(leg.port);
    }
  }
  for (auto& entry : control_legs_) entry.second->socket.Close();
  legs_.clear();
  leg_list_.clear();
  control_legs_.clear();
  jobs_.clear();
  awake_jobs_ = 0;
  control_jobs_.clear();
}

void MediaThread::Dispatch(Command command) {
  if (state_ == State::kRunning) {
    commands_.Push(std::move(command));
    Signal();
    return;
  }
  // No media thread yet: this thread may touch the media state (control_mutex_ is held).
  Apply(command, MonotonicNowNs());
  PublishEvents();
}

std::shared_ptr<MediaThread::Leg> MediaThread::FindControlLeg(LegId leg) const {
  const auto found = control_legs_.find(leg);
  return found == control_legs_.end() ? nullptr : found->second;
}

Status MediaThread::FindCommandLeg(LegId leg, LegNeeds needs, std::shared_ptr<Leg>* out) const {
  if (state_ == State::kStopped) return Status::Error(StatusCode::kInvalidState, "the media thread is stopped");
  std::shared_ptr<Leg> found = FindControlLeg(leg);
  if (!found) return Status::Error(StatusCode::kNotFound, "no leg " + std::to_string(leg));
  if (needs == LegNeeds::kSocket && found->transport != LegTransport::kUdp) {
    return Status::Error(StatusCode::kInvalidArgument, "leg " + std::to_string(leg) + " has no socket");
  }
  if (needs == LegNeeds::kExternal && found->transport != LegTransport::kExternal) {
    return Status::Error(StatusCode::kInvalidArgument, "leg " + std::to_string(leg) + " is not fed from JavaScript");
  }
  if (out) *out = std::move(found);
  return Status::Ok();
}

Status MediaThread::OpenLeg(const LegOptions& options, LegInfo* info) {
  if (options.timeout_ms < 0 || options.timeout_ms > kMaxTimeoutMs) {
    return Status::Error(StatusCode::kInvalidArgument, "timeoutMs must be 0..86400000");
  }
  bool ipv6 = options.ipv6;
  SocketAddress local;
  if (options.transport == LegTransport::kUdp) {
    if (!options.local_address.empty()) {
      if (!SocketAddress::Parse(options.local_address, 0, &local)) {
        return Status::Error(StatusCode::kInvalidArgument,
                             "localAddress is not a numeric IPv4 or IPv6 address: " + options.local_address);
      }
      if (local.is_ipv6() != ipv6) {
        return Status::Error(StatusCode::kInvalidArgument, "localAddress is not of the leg's address family");
      }
    } else {
      local = SocketAddress::Any(ipv6, 0);
    }
    if (!options.remote.empty()) {
      if (options.remote.is_ipv6() != ipv6) {
        return Status::Error(StatusCode::kInvalidArgument, "the remote address is not of the leg's address family");
      }
      if (options.remote.port() == 0) {
        return Status::Error(StatusCode::kInvalidArgument, "the remote port must be 1..65535");
      }
    }
  }

  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return Status::Error(StatusCode::kInvalidState, "the media thread is stopped");
  auto leg = std::make_shared<Leg>(next_leg_id_, options.transport, options_.max_inbound_datagrams,
                                   options_.max_inbound_bytes);
  if (options.transport == LegTransport::kUdp) {
    std::string error;
    BindResult last = BindResult::kInUse;
    const int port = ports_.Acquire(options.reserve_rtcp, [&](int candidate) {
      last = leg->socket.Open(local.WithPort(candidate), &error);
      return last;
    });
    if (port < 0) {
      if (last == BindResult::kFailed) {
        return Status::Error(options.local_address.empty() ? StatusCode::kSystem : StatusCode::kInvalidArgument,
                             error);
      }
      return Status::Error(StatusCode::kPortsExhausted,
                           "no free port in " + std::to_string(options_.port_min) + "-" +
                               std::to_string(options_.port_max) + " (" + std::to_string(ports_.in_use()) +
                               " in use)");
    }
    epoll_event interest{};
    interest.events = kLegSocketEvents;
    interest.data.u64 = leg->id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, leg->socket.fd(), &interest) != 0) {
      leg->socket.Close();
      ports_.Release(port);
      return Status::Error(StatusCode::kSystem, "epoll_ctl failed");
    }
    leg->port = port;
    leg->local = local.WithPort(port);
    leg->ipv6 = ipv6;
    leg->remote = options.remote;
    // Without it, sends stay on this socket (unconnected): slower, never wrong.
    leg->socket.AllowPeer();
    // Without it, arrivals are timed when drained: within a slice, or the interval when quiet.
    leg->socket.TimestampArrivals();
  }
  leg->latching = options.transport == LegTransport::kUdp && options.symmetric_latching;
  leg->timeout_ns = static_cast<int64_t>(options.timeout_ms) * kNsPerMs;
  leg->Publish();
  ++next_leg_id_;
  control_legs_.emplace(leg->id, leg);
  info->id = leg->id;
  info->port = leg->port;

  Command command;
  command.type = Command::Type::kAddLeg;
  command.leg = leg->id;
  command.leg_ptr = std::move(leg);
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::CloseLeg(LegId leg) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return Status::Error(StatusCode::kInvalidState, "the media thread is stopped");
  if (control_legs_.erase(leg) == 0) return Status::Error(StatusCode::kNotFound, "no leg " + std::to_string(leg));
  Command command;
  command.type = Command::Type::kCloseLeg;
  command.leg = leg;
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::SetRemote(LegId leg, const SocketAddress& remote) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  std::shared_ptr<Leg> found;
  const Status status = FindCommandLeg(leg, LegNeeds::kSocket, &found);
  if (!status.ok()) return status;
  if (remote.empty() || remote.port() == 0) {
    return Status::Error(StatusCode::kInvalidArgument, "the remote needs an address and a port 1..65535");
  }
  if (remote.is_ipv6() != found->ipv6) {
    return Status::Error(StatusCode::kInvalidArgument, "the remote address is not of the leg's address family");
  }
  Command command;
  command.type = Command::Type::kSetRemote;
  command.leg = leg;
  command.address = remote;
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::SetLatching(LegId leg, bool symmetric_latching) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  const Status status = FindCommandLeg(leg, LegNeeds::kSocket, nullptr);
  if (!status.ok()) return status;
  Command command;
  command.type = Command::Type::kSetLatching;
  command.leg = leg;
  command.flag = symmetric_latching;
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::SetTimeout(LegId leg, int timeout_ms) {
  if (timeout_ms < 0 || timeout_ms > kMaxTimeoutMs) {
    return Status::Error(StatusCode::kInvalidArgument, "timeoutMs must be 0..86400000");
  }
  std::lock_guard<std::mutex> lock(control_mutex_);
  const Status status = FindCommandLeg(leg, LegNeeds::kAny, nullptr);
  if (!status.ok()) return status;
  Command command;
  command.type = Command::Type::kSetTimeout;
  command.leg = leg;
  command.value = static_cast<int64_t>(timeout_ms) * kNsPerMs;
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::AttachSink(LegId leg, PacketSink* sink, JobId owner) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  const Status status = FindCommandLeg(leg, LegNeeds::kAny, nullptr);
  if (!status.ok()) return status;
  if (owner != 0 && control_jobs_.count(owner) == 0) {
    return Status::Error(StatusCode::kNotFound, "no job " + std::to_string(owner));
  }
  Command command;
  command.type = Command::Type::kAttachSink;
  command.leg = leg;
  command.job = owner;
  command.sink = sink;
  Dispatch(std::move(command));
  return Status::Ok();
}

bool MediaThread::HasLeg(LegId leg) const {
  std::lock_guard<std::mutex> lock(control_mutex_);
  return control_legs_.count(leg) != 0;
}

Status MediaThread::AddJob(std::unique_ptr<TickJob> job, int interval_ms, JobId* id) {
  if (!job) return Status::Error(StatusCode::kInvalidArgument, "no job");
  if (!IsSupportedInterval(interval_ms)) {
    return Status::Error(StatusCode::kInvalidArgument, "intervalMs must be 10, 20, 40 or 60");
  }
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return Status::Error(StatusCode::kInvalidState, "the media thread is stopped");
  auto slot = std::make_shared<JobSlot>();
  slot->id = next_job_id_++;
  slot->interval_ms = interval_ms;
  slot->job = std::move(job);
  control_jobs_.emplace(slot->id, slot);
  *id = slot->id;
  Command command;
  command.type = Command::Type::kAddJob;
  command.job = slot->id;
  command.job_ptr = std::move(slot);
  Dispatch(std::move(command));
  return Status::Ok();
}

void MediaThread::RouseJob(const TickJob* job) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return;
  Command command;
  command.type = Command::Type::kRouseJob;
  command.tick_job = job;
  Dispatch(std::move(command));
}

Status MediaThread::RemoveJob(JobId job) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (state_ == State::kStopped) return Status::Error(StatusCode::kInvalidState, "the media thread is stopped");
  if (control_jobs_.erase(job) == 0) return Status::Error(StatusCode::kNotFound, "no job " + std::to_string(job));
  Command command;
  command.type = Command::Type::kRemoveJob;
  command.job = job;
  Dispatch(std::move(command));
  return Status::Ok();
}

Status MediaThread::PushPacket(LegId leg, const uint8_t* data, size_t size, bool* accepted) {
  *accepted = false;
  if (size == 0 || size > kMaxDatagramBytes) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "a packet must be 1.." + std::to_string(kMaxDatagramBytes) + " bytes");
  }
  std::shared_ptr<Leg> found;
  {
    std::lock_guard<std::mutex> lock(control_mutex_);
    const Status status = FindCommandLeg(leg, LegNeeds::kExternal, &found);
    if (!status.ok()) return status;
  }
  {
    std::lock_guard<std::mutex> lock(found->inbound_mutex);
    *accepted = found->inbound.Append(leg, data, size);
    if (!*accepted) ++found->inbound_overflow;
  }
  // The first packet since the last drain wakes the thread, so it is taken with a fresh arrival
  // time; the rest ride along.
  if (!found->inbound_ready.exchange(true, std::memory_order_acq_rel)) Signal();
  return Status::Ok();
}

void MediaThread::TakeOutgoing(DatagramBatch& out) {
  out.Clear();
  std::lock_guard<std::mutex> lock(outgoing_mutex_);
  outgoing_.Swap(out);
}

void MediaThread::TakeEvents(std::vector<MediaEvent>& out) {
  out.clear();
  // Allocation happens here, on the taker's thread, so the swapped-in vector never grows.
  if (out.capacity() < options_.max_events) out.reserve(options_.max_events);
  // Cleared before the swap: events published after it will notify again.
  notify_pending_.store(false, std::memory_order_release);
  std::lock_guard<std::mutex> lock(events_mutex_);
  pending_events_.swap(out);
}

ThreadStats MediaThread::Counters() const {
  std::lock_guard<std::mutex> lock(control_mutex_);
  return CountersLocked();
}

ThreadStats MediaThread::CountersLocked() const {
  ThreadStats thread;
  thread.running = state_ == State::kRunning;
  thread.wakes = wakes_.load(std::memory_order_relaxed);
  thread.drains = drains_.load(std::memory_order_relaxed);
  thread.ticks = ticks_.load(std::memory_order_relaxed);
  thread.overruns = overruns_.load(std::memory_order_relaxed);
  thread.tick_cpu_ns = tick_cpu_ns_.load(std::memory_order_relaxed);
  thread.events_lost = events_lost_.load(std::memory_order_relaxed);
  thread.load = load_.load(std::memory_order_relaxed);
  thread.realtime = realtime_.load(std::memory_order_relaxed);
  thread.thread_cpu_ns = final_thread_cpu_ns_.load(std::memory_order_relaxed);
  if (state_ == State::kRunning) {
    // Joining happens under control_mutex_, so the thread's clock is valid here.
    clockid_t clock = 0;
    timespec used{};
    if (pthread_getcpuclockid(media_handle_, &clock) == 0 &&
        clock_gettime(clock, &used) == 0) {
      thread.thread_cpu_ns = static_cast<int64_t>(used.tv_sec) * 1'000'000'000LL + used.tv_nsec;
    }
  }
  return thread;
}

MediaThreadStats MediaThread::Stats() const {
  MediaThreadStats stats;
  std::lock_guard<std::mutex> lock(control_mutex_);
  stats.thread = CountersLocked();
  stats.jobs.reserve(control_jobs_.size());
  for (const auto& entry : control_jobs_) {
    const JobSlot& slot = *entry.second;
    stats.jobs.push_back(JobStats{slot.id, slot.interval_ms, slot.ticks.load(std::memory_order_relaxed),
                                  slot.asleep.load(std::memory_order_relaxed)});
  }
  std::sort(stats.jobs.begin(), stats.jobs.end(), [](const JobStats& a, const JobStats& b) { return a.id < b.id; });
  stats.legs.reserve(control_legs_.size());
  for (const auto& entry : control_legs_) {
    const Leg& leg = *entry.second;
    LegStats out;
    out.id = leg.id;
    out.transport = leg.transport;
    out.port = leg.port;
    out.packets_in = leg.packets_in.load(std::memory_order_relaxed);
    out.bytes_in = leg.bytes_in.load(std::memory_order_relaxed);
    out.packets_out = leg.packets_out.load(std::memory_order_relaxed);
    out.bytes_out = leg.bytes_out.load(std::memory_order_relaxed);
    out.dropped_stranger = leg.dropped[static_cast<size_t>(DropReason::kStranger)].load(std::memory_order_relaxed);
    out.dropped_invalid = leg.dropped[static_cast<size_t>(DropReason::kInvalid)].load(std::memory_order_relaxed);
    out.dropped_overflow = leg.dropped[static_cast<size_t>(DropReason::kOverflow)].load(std::memory_order_relaxed);
    out.dropped_no_remote = leg.dropped[static_cast<size_t>(DropReason::kNoRemote)].load(std::memory_order_relaxed);
    out.send_failed = leg.dropped[static_cast<size_t>(DropReason::kSendFailed)].load(std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> published(leg.published_mutex);
      out.latched = leg.published_latched;
      out.connected = leg.published_connected;
      out.timed_out = leg.published_timed_out;
      out.remote = leg.published_remote;
    }
    stats.legs.push_back(out);
  }
  std::sort(stats.legs.begin(), stats.legs.end(), [](const LegStats& a, const LegStats& b) { return a.id < b.id; });
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Media side.

void MediaThread::Run(std::promise<void>* scheduled) {
  // Wake at the deadline itself, not up to the default 50 µs of timer slack after it.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  pthread_setname_np(pthread_self(), "confmix-media");
  if (options_.realtime_priority > 0) {
    // A real-time clock thread (as audio servers run theirs): it preempts ordinary threads the
    // moment its deadline comes, so ticks start on time on a busy machine. Without the
    // privilege it stays an ordinary thread; the kernel's RT throttling keeps 5% for others.
    sched_param param{};
    param.sched_priority = options_.realtime_priority;
    const bool realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
    realtime_.store(realtime, std::memory_order_relaxed);
    // Its codec calls and sends may wait on the pool's helpers, so they run real-time too, one
    // step below: a clock thread that wakes where a helper is flushing preempts it at once.
    if (realtime) WorkerPool::Shared().RaiseToRealtime(std::max(1, options_.realtime_priority - 1));
  }
  scheduled->set_value();
  last_wake_ns_ = MonotonicNowNs();
  // Legs opened before Start count their silence from now.
  for (Leg* leg : leg_list_) leg->last_valid_ns = last_wake_ns_;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    const int64_t deadline = NextWakeNs();
    const int64_t now = MonotonicNowNs();
    if (now < deadline) {
      // Between deadlines a busy thread drains every slice, a quiet one sleeps through; commands
      // and pushed packets wake either at once.
      const bool quiet = !busy_ && awake_jobs_ != 0;
      const int64_t drain_at = deadline - quiet_drain_ns_;
      int64_t until = deadline;
      if (quiet) {
        until = drain_at;
      } else if (busy_ && deadline != kNever && now + kIoSliceNs < deadline) {
        until = std::min(deadline - kIoSliceNs, now + kIoSliceNs);
      }
      // A busy thread sleeps a slice at most: a plain absolute sleep, as precise as it gets; the
      // commands and signals it misses meanwhile are taken at the end of the slice.
      if (busy_ && until != kNever) {
        SleepUntilNs(until);
      } else {
        WaitUntil(until);
      }
      if (stop_requested_.load(std::memory_order_acquire)) break;
      const int64_t woke = MonotonicNowNs();
      if (quiet && woke >= drain_at && woke < deadline) {
        // The interval's few datagrams, taken now so this tick plays them.
        DrainBeforeTick(woke, deadline);
        const int64_t drained = MonotonicNowNs();
        if (deadline - drained > kMaxSpinNs) WaitUntil(deadline);
        SpinUntilNs(deadline);
        if (stop_requested_.load(std::memory_order_acquire)) break;
        Wake(/*drained=*/true);
        CountBusy(woke, MonotonicNowNs());
        continue;
      }
      if (woke < deadline) {
        Bump(drains_);
        DrainBetweenTicks(deadline);
        CountBusy(woke, MonotonicNowNs());
        continue;
      }
    }
    const int64_t woke = MonotonicNowNs();
    Wake(/*drained=*/false);
    CountBusy(woke, MonotonicNowNs());
  }
  FinishFlush();
  final_thread_cpu_ns_.store(ThreadCpuNs(), std::memory_order_relaxed);
}

void MediaThread::WaitUntil(int64_t deadline_ns) {
  if (deadline_ns != timer_armed_ns_) {
    itimerspec spec{};  // all zero: disarmed
    if (deadline_ns != kNever) {
      spec.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000LL);
      spec.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000LL);
    }
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    timer_armed_ns_ = deadline_ns;
  }
  epoll_event fired[2];
  int count;
  do {
    count = epoll_wait(wait_fd_, fired, 2, -1);
  } while (count < 0 && errno == EINTR);
  uint64_t value = 0;
  for (int i = 0; i < count; ++i) {
    if (fired[i].data.fd == timer_fd_) {
      if (::read(timer_fd_, &value, sizeof(value)) == sizeof(value)) timer_armed_ns_ = -1;  // spent
    } else {
      // Read, then cleared: a signal in between found it set and wrote nothing, but what it
      // signalled (a command, the stop flag) was published before, and is looked at after this
      // returns. Cleared first, a signal's write could be swallowed by this read and the flag
      // left set, so no later signal would ever write again.
      (void)::read(wake_fd_, &value, sizeof(value));
      signal_pending_.store(false, std::memory_order_release);
    }
  }
}

void MediaThread::Signal() {
  if (signal_pending_.exchange(true, std::memory_order_acq_rel)) return;
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof(one));
}

void MediaThread::CountBusy(int64_t from_ns, int64_t to_ns) {
  busy_ns_ += to_ns - from_ns;
  if (load_window_start_ns_ == 0) load_window_start_ns_ = from_ns;
  const int64_t window_ns = to_ns - load_window_start_ns_;
  if (window_ns < kLoadWindowNs) return;
  load_.store(static_cast<double>(busy_ns_) / static_cast<double>(window_ns), std::memory_order_relaxed);
  busy_ns_ = 0;
  load_window_start_ns_ = to_ns;
}

int64_t MediaThread::NextWakeNs() const {
  if (awake_jobs_ == 0) {
    // Open legs need their timeouts checked and their sockets drained; nothing else needs a clock.
    if (leg_list_.empty()) return kNever;
    return last_wake_ns_ + static_cast<int64_t>(options_.idle_wake_ms) * kNsPerMs;
  }
  int64_t earliest = kNever;
  for (const auto& slot : jobs_) {
    if (!slot->asleep.load(std::memory_order_relaxed)) earliest = std::min(earliest, slot->schedule.deadline_ns());
  }
  return earliest;
}

void MediaThread::DrainBeforeTick(int64_t now_ns, int64_t deadline_ns) {
  ApplyCommands(now_ns);
  ReceiveSockets(now_ns, deadline_ns + kIoSliceNs / 2);
  ReceiveInbound(now_ns);
  // How long that takes, followed over the last drains (an eighth of each): the next quiet wake
  // comes this much before its deadline.
  const int64_t took = std::min(MonotonicNowNs() - now_ns, kIoSliceNs / 2);
  quiet_drain_ns_ += (took - quiet_drain_ns_) / 8;
}

void MediaThread::Wake(bool drained) {
  if (reset_lateness_.exchange(false, std::memory_order_acq_rel)) lateness_.Reset();
  const int64_t now = MonotonicNowNs();
  last_wake_ns_ = now;
  Bump(wakes_);
  ApplyCommands(now);
  // Quiet and woken late (or by the idle check): the interval's datagrams are taken now.
  if (!busy_ && !drained) DrainBeforeTick(now, now);
  // The interval's traffic decides how the next one drains.
  busy_ = received_this_interval_ >= kBusyDatagramsPerInterval;
  received_this_interval_ = 0;
  // A busy thread drained all through the interval: tick first, then take what came since.
  RunDueTicks();
  const int64_t flush_ns = MonotonicNowNs();
  for (const auto& [job, deadline_ns] : ticked_) job->Flushed(deadline_ns, flush_ns);
  ticked_.clear();
  FlushOutbox();
  const int64_t after = MonotonicNowNs();
  ReceiveSockets(after, NextWakeNs() - kIoSliceNs);
  ReceiveInbound(after);
  CheckLegs(MonotonicNowNs());
  PublishEvents();
}

void MediaThread::DrainBetweenTicks(int64_t deadline_ns) {
  const int64_t now = MonotonicNowNs();
  ApplyCommands(now);
  ReceiveSockets(now, deadline_ns - kIoSliceNs / 2);
  ReceiveInbound(now);
  FlushOutbox();  // datagrams a sink queued (none today) leave at once
  PublishEvents();  // what commands and latches raised goes out now, not at the deadline
}

void MediaThread::ApplyCommands(int64_t now_ns) {
  commands_.TakeAll(applying_);
  if (applying_.empty()) return;
  FinishFlush();  // commands close sockets and change remotes that a running flush reads
  for (Command& command : applying_) Apply(command, now_ns);
  applying_.clear();
}

void MediaThread::Apply(Command& command, int64_t now_ns) {
  switch (command.type) {
    case Command::Type::kAddLeg: {
      Leg* leg = command.leg_ptr.get();
      leg->last_valid_ns = now_ns;
      legs_.emplace(leg->id, std::move(command.leg_ptr));
      leg_list_.push_back(leg);
      outbox_legs_.reserve(leg_list_.size());
      flush_items_.reserve(leg_list_.size());
      if (leg->transport == LegTransport::kUdp) {
        ready_.resize(ready_.size() + 2);  // socket and peer
        readable_.reserve(2 * ready_.size());
        unfinished_.reserve(2 * ready_.size());
      }
      ConnectPeer(*leg);
      leg->Publish();
      return;
    }
    case Command::Type::kCloseLeg: {
      Leg* leg = FindMediaLeg(command.leg);
      if (leg != nullptr) CloseLegNow(*leg);
      return;
    }
    case Command::Type::kSetRemote: {
      Leg* leg = FindMediaLeg(command.leg);
      if (leg == nullptr) return;
      leg->remote = command.address;
      leg->latched = false;
      ConnectPeer(*leg);
      leg->Publish();
      return;
    }
    case Command::Type::kSetLatching: {
      Leg* leg = FindMediaLeg(command.leg);
      if (leg == nullptr) return;
      leg->latching = command.flag;
      leg->latched = false;
      leg->Publish();
      return;
    }
    case Command::Type::kSetTimeout: {
      Leg* leg = FindMediaLeg(command.leg);
      if (leg == nullptr) return;
      leg->timeout_ns = command.value;
      leg->last_valid_ns = now_ns;
      leg->timed_out = false;
      leg->Publish();
      return;
    }
    case Command::Type::kAttachSink: {
      Leg* leg = FindMediaLeg(command.leg);
      if (leg == nullptr) return;
      leg->sink = command.sink;
      leg->sink_owner = command.sink == nullptr ? 0 : command.job;
      return;
    }
    case Command::Type::kAddJob: {
      JobSlot& slot = *command.job_ptr;
      const int64_t interval_ns = static_cast<int64_t>(slot.interval_ms) * kNsPerMs;
      // Deadlines sit on one grid from the thread's epoch, so jobs of one interval tick in the
      // same wake: one socket drain and one flush serve them all.
      const int64_t periods = (now_ns - epoch_ns_) / interval_ns + 1;
      slot.schedule = TickSchedule(epoch_ns_ + periods * interval_ns, interval_ns);
      jobs_.push_back(std::move(command.job_ptr));
      ++awake_jobs_;
      return;
    }
    case Command::Type::kRouseJob: {
      for (const auto& slot : jobs_) {
        if (slot->job.get() != command.tick_job || !slot->asleep.load(std::memory_order_relaxed)) continue;
        // Its own grid, so it ticks in step with the jobs it shared wakes with before it slept.
        slot->schedule.Resume(now_ns);
        slot->asleep.store(false, std::memory_order_relaxed);
        ++awake_jobs_;
      }
      return;
    }
    case Command::Type::kRemoveJob: {
      const auto found = std::find_if(jobs_.begin(), jobs_.end(),
                                      [&](const std::shared_ptr<JobSlot>& slot) { return slot->id == command.job; });
      if (found == jobs_.end()) return;
      // Its sinks go first, so no packet reaches a destroyed job.
      for (Leg* leg : leg_list_) {
        if (leg->sink_owner == command.job) {
          leg->sink = nullptr;
          leg->sink_owner = 0;
        }
      }
      std::shared_ptr<JobSlot> slot = std::move(*found);
      jobs_.erase(found);
      if (!slot->asleep.load(std::memory_order_relaxed)) --awake_jobs_;
      slot->job.reset();
      MediaEvent event;
      event.type = MediaEventType::kJobRemoved;
      event.job = slot->id;
      event.count = slot->ticks.load(std::memory_order_relaxed);
      EmitEvent(event);
      return;
    }
  }
}

void MediaThread::CloseLegNow(Leg& leg) {
  MediaEvent event;
  event.type = MediaEventType::kLegClosed;
  event.leg = leg.id;
  event.count = static_cast<uint64_t>(leg.port);
  ClosePeer(leg);
  if (leg.socket.is_open()) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg.socket.fd(), nullptr);
    leg.socket.Close();
    ports_.Release(leg.port);
    if (ready_.size() > 2) ready_.resize(ready_.size() - 2);
  }
  leg_list_.erase(std::find(leg_list_.begin(), leg_list_.end(), &leg));
  legs_.erase(leg.id);  // may free the leg: nothing below may touch it
  EmitEvent(event);
}

void MediaThread::ConnectPeer(Leg& leg) {
  if (leg.peer.is_open() && leg.peer_remote == leg.remote) return;
  ClosePeer(leg);
  if (leg.transport != LegTransport::kUdp || leg.remote.empty() || !leg.socket.is_open()) return;
  // On failure the bound socket sends unconnected, as it does before a remote is known.
  if (!leg.peer.OpenPeer(leg.local, leg.remote)) return;
  leg.peer.TimestampArrivals();
  epoll_event interest{};
  interest.events = kLegSocketEvents;
  interest.data.u64 = leg.id | kPeerSocketBit;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, leg.peer.fd(), &interest) != 0) {
    leg.peer.Close();
    return;
  }
  leg.peer_remote = leg.remote;
}

void MediaThread::ClosePeer(Leg& leg) {
  if (!leg.peer.is_open()) return;
  // What it still holds came from the old remote; once it closes, that source reaches the bound
  // socket and counts as a stranger.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg.peer.fd(), nullptr);
  leg.peer.Close();
  leg.peer_remote = SocketAddress();
}

MediaThread::Leg* MediaThread::FindMediaLeg(LegId leg) const {
  const auto found = legs_.find(leg);
  return found == legs_.end() ? nullptr : found->second.get();
}

void MediaThread::ReceiveSockets(int64_t now_ns, int64_t stop_at_ns) {
  // Edge-triggered: a socket reports once per arrival, so one whose drain stopped early (the
  // wake's time or per-socket budget ran out) is carried over here and drained first next time.
  readable_.swap(unfinished_);
  unfinished_.clear();
  const int ready = epoll_wait(epoll_fd_, ready_.data(), static_cast<int>(ready_.size()), 0);
  // The kernel stamps arrivals on CLOCK_REALTIME; the offset to CLOCK_MONOTONIC is taken once a
  // drain (a clock step between two drains moves one drain's stamps, never past now).
  const int64_t realtime_offset_ns = ready > 0 || !readable_.empty() ? RealtimeNowNs() - MonotonicNowNs() : 0;
  for (int i = 0; i < ready; ++i) readable_.push_back(ready_[static_cast<size_t>(i)].data.u64);
  for (size_t i = 0; i < readable_.size(); ++i) {
    const uint64_t tag = readable_[i];
    // A burst must not delay the next tick: what is left waits for the next drain.
    if ((i & 15) == 15 && MonotonicNowNs() >= stop_at_ns) {
      unfinished_.insert(unfinished_.end(), readable_.begin() + static_cast<std::ptrdiff_t>(i), readable_.end());
      break;
    }
    // Looked up by id: a leg closed by a command this wake is simply not found.
    Leg* leg = FindMediaLeg(static_cast<LegId>(tag & ~kPeerSocketBit));
    if (leg == nullptr) continue;
    const bool peer = (tag & kPeerSocketBit) != 0;
    size_t taken = 0;
    size_t want = kFirstReceiveBatch;
    int errors = 0;
    bool drained = false;
    while (taken < kMaxDatagramsPerSocketPerWake && errors < kMaxReceiveErrorsPerSocket) {
      // Read each time: a latch while handling the batch may have replaced the peer socket.
      const int fd = peer ? leg->peer.fd() : leg->socket.fd();
      if (fd < 0) {
        drained = true;
        break;
      }
      const int received = receive_batch_.Receive(fd, want);
      if (received < 0) {
        ++errors;  // a reported ICMP error (connected socket): datagrams may still be queued
        continue;
      }
      for (size_t j = 0; j < static_cast<size_t>(received); ++j) {
        if (receive_batch_.truncated(j)) {
          // Too big for any leg: the peer's is invalid, anyone else's a stranger's.
          const SocketAddress& from = receive_batch_.source(j);
          if (IsStranger(*leg, from)) {
            leg->last_stranger = from;
            Drop(*leg, DropReason::kStranger, 1);
          } else {
            Drop(*leg, DropReason::kInvalid, 1);
          }
          continue;
        }
        const int64_t stamp = receive_batch_.arrival_realtime_ns(j);
        const int64_t arrival = stamp > 0 ? std::min(now_ns, stamp - realtime_offset_ns) : now_ns;
        HandleDatagram(*leg, receive_batch_.data(j), receive_batch_.size(j), receive_batch_.source(j), arrival);
      }
      taken += static_cast<size_t>(received);
      received_this_interval_ += static_cast<size_t>(received);
      // A short batch means the queue was empty: that was the EAGAIN, without another syscall.
      if (static_cast<size_t>(received) < want) {
        drained = true;
        break;
      }
      want = receive_batch_.capacity();
    }
    if (!drained) unfinished_.push_back(tag);
  }
  readable_.clear();
  // A socket both carried over and reported again may have been left twice: keep it once, so the
  // list never outgrows the sockets.
  if (unfinished_.size() > 1) {
    std::sort(unfinished_.begin(), unfinished_.end());
    unfinished_.erase(std::unique(unfinished_.begin(), unfinished_.end()), unfinished_.end());
  }
}

void MediaThread::ReceiveInbound(int64_t now_ns) {
  static const SocketAddress kNoSource;
  for (Leg* leg : leg_list_) {
    if (leg->transport != LegTransport::kExternal) continue;
    if (!leg->inbound_ready.exchange(false, std::memory_order_acquire)) continue;
    uint64_t overflow = 0;
    {
      std::lock_guard<std::mutex> lock(leg->inbound_mutex);
      leg->inbound.Swap(inbound_taken_);
      overflow = leg->inbound_overflow;
      leg->inbound_overflow = 0;
    }
    if (overflow > 0) Drop(*leg, DropReason::kOverflow, overflow);
    for (size_t i = 0; i < inbound_taken_.size(); ++i) {
      HandleDatagram(*leg, inbound_taken_.data(i), inbound_taken_.ref(i).size, kNoSource, now_ns);
    }
    inbound_taken_.Clear();
  }
}

bool MediaThread::IsStranger(const Leg& leg, const SocketAddress& from) const {
  if (leg.transport != LegTransport::kUdp) return false;  // fed by its owner, who checked
  if (leg.latching && !leg.latched) return false;          // anyone may be the peer until it latches
  return leg.remote.empty() || from != leg.remote;
}

void MediaThread::HandleDatagram(Leg& leg, const uint8_t* data, size_t size, const SocketAddress& from,
                                 int64_t arrival_ns) {
  const bool has_socket = leg.transport == LegTransport::kUdp;
  const bool learning = has_socket && leg.latching && !leg.latched;
  if (IsStranger(leg, from)) {
    leg.last_stranger = from;
    Drop(leg, DropReason::kStranger, 1);
    return;
  }
  const bool valid = leg.sink != nullptr && leg.sink->OnPacket(leg.id, data, size, from, arrival_ns);
  if (!valid) {
    // An invalid packet never latches: a stray probe must not steal the leg.
    Drop(leg, DropReason::kInvalid, 1);
    return;
  }
  Bump(leg.packets_in);
  Bump(leg.bytes_in, size);
  leg.last_valid_ns = arrival_ns;
  const bool resumed = leg.timed_out;
  leg.timed_out = false;
  if (learning) {
    FinishFlush();  // a running flush may be reading this leg's remote
    leg.remote = from;
    leg.latched = true;
    ConnectPeer(leg);
    MediaEvent event;
    event.type = MediaEventType::kLatched;
    event.leg = leg.id;
    event.address = from;
    EmitEvent(event);
  }
  if (learning || resumed) leg.Publish();
}

void MediaThread::Drop(Leg& leg, DropReason reason, uint64_t count) {
  const size_t index = static_cast<size_t>(reason);
  Bump(leg.dropped[index], count);
  leg.unreported[index].fetch_add(count, std::memory_order_relaxed);
}

void MediaThread::RunDueTicks() {
  // Thread CPU time is a syscall (~0.5 µs), so it is read once around all of this wake's ticks;
  // wall time (vDSO) is read per tick for lateness and overruns.
  int64_t cpu_before = -1;
  for (const auto& slot : jobs_) {
    if (slot->asleep.load(std::memory_order_relaxed)) continue;
    const int64_t start_ns = MonotonicNowNs();
    if (!slot->schedule.Due(start_ns)) continue;
    if (cpu_before < 0) cpu_before = ThreadCpuNs();
    const int64_t interval_ns = slot->schedule.interval_ns();
    const int64_t lateness_ns = start_ns - slot->schedule.deadline_ns();
    const uint64_t index = slot->ticks.load(std::memory_order_relaxed);
    TickContext context(*this, slot->id, slot->schedule.deadline_ns(), start_ns, interval_ns, index,
                        load_.load(std::memory_order_relaxed));
    slot->job->Tick(context);
    const int64_t work_ns = MonotonicNowNs() - start_ns;
    lateness_.Record(lateness_ns);
    ticked_.emplace_back(slot->job.get(), slot->schedule.deadline_ns());
    if (work_ns > interval_ns || lateness_ns > interval_ns) Bump(overruns_);
    Bump(ticks_);
    slot->ticks.store(index + 1, std::memory_order_relaxed);
    // Exactly one interval on: a late tick is followed at once by the next, so none is lost.
    slot->schedule.Advance();
    if (slot->job->Sleeps()) {
      slot->asleep.store(true, std::memory_order_relaxed);
      --awake_jobs_;
    }
  }
  if (cpu_before >= 0) {
    tick_cpu_ns_.store(tick_cpu_ns_.load(std::memory_order_relaxed) + (ThreadCpuNs() - cpu_before),
                       std::memory_order_relaxed);
  }
}

bool MediaThread::QueueDatagram(LegId leg_id, const uint8_t* data, size_t size) {
  Leg* leg = FindMediaLeg(leg_id);
  if (leg == nullptr) return false;
  if (size > kMaxDatagramBytes || !outbox_.Append(leg_id, data, size)) {
    Drop(*leg, DropReason::kOverflow, 1);
    return false;
  }
  const int32_t index = static_cast<int32_t>(outbox_.size() - 1);
  outbox_next_.push_back(-1);
  if (leg->outbox_tail >= 0) {
    outbox_next_[static_cast<size_t>(leg->outbox_tail)] = index;
  } else {
    leg->outbox_head = index;
    outbox_legs_.push_back(leg);
  }
  leg->outbox_tail = index;
  return true;
}

void MediaThread::FlushLeg(const FlushItem& item, SendBatch& batch) {
  Leg& leg = *item.leg;
  if (leg.remote.empty() || !leg.socket.is_open()) {
    uint64_t unsent = 0;
    for (int32_t i = item.head; i >= 0; i = flushing_next_[static_cast<size_t>(i)]) ++unsent;
    Drop(leg, DropReason::kNoRemote, unsent);
    return;
  }
  static const SocketAddress kConnected;
  const bool connected = leg.peer.is_open();
  const int fd = connected ? leg.peer.fd() : leg.socket.fd();
  const SocketAddress& to = connected ? kConnected : leg.remote;
  SendOutcome total;
  auto flush = [&] {
    const SendOutcome outcome = batch.Flush(fd);
    total.sent += outcome.sent;
    total.failed += outcome.failed;
    total.bytes += outcome.bytes;
  };
  for (int32_t i = item.head; i >= 0; i = flushing_next_[static_cast<size_t>(i)]) {
    if (batch.full()) flush();
    const size_t at = static_cast<size_t>(i);
    batch.Add(flushing_.data(at), flushing_.ref(at).size, to);
  }
  flush();
  Bump(leg.packets_out, total.sent);
  Bump(leg.bytes_out, total.bytes);
  if (total.failed > 0) Drop(leg, DropReason::kSendFailed, total.failed);
}

void MediaThread::FinishFlush() { WorkerPool::Shared().Finish(flush_batch_); }

void MediaThread::FlushOutbox() {
  if (outbox_legs_.empty()) return;
  FinishFlush();  // its buffers are about to be reused
  bool any_external = false;
  for (Leg* leg : outbox_legs_) any_external |= leg->transport == LegTransport::kExternal;
  if (any_external) {
    uint64_t handed = 0;
    {
      // One lock for every external leg of this wake: held only for the copies.
      std::lock_guard<std::mutex> lock(outgoing_mutex_);
      for (Leg* leg : outbox_legs_) {
        if (leg->transport != LegTransport::kExternal) continue;
        for (int32_t i = leg->outbox_head; i >= 0; i = outbox_next_[static_cast<size_t>(i)]) {
          const size_t at = static_cast<size_t>(i);
          const uint32_t size = outbox_.ref(at).size;
          if (outgoing_.Append(leg->id, outbox_.data(at), size)) {
            Bump(leg->packets_out);
            Bump(leg->bytes_out, size);
            ++handed;
          } else {
            Drop(*leg, DropReason::kOverflow, 1);
          }
        }
      }
    }
    if (handed > 0) {
      MediaEvent event;
      event.type = MediaEventType::kOutgoing;
      event.count = handed;
      EmitEvent(event);
    }
  }
  flush_items_.clear();
  for (Leg* leg : outbox_legs_) {
    if (leg->transport != LegTransport::kExternal) flush_items_.push_back(FlushItem{leg, leg->outbox_head});
    leg->outbox_head = -1;
    leg->outbox_tail = -1;
  }
  outbox_legs_.clear();
  std::swap(outbox_, flushing_);
  std::swap(outbox_next_, flushing_next_);
  outbox_.Clear();
  outbox_next_.clear();
  if (flush_items_.size() < kMinParallelFlushLegs) {
    for (const FlushItem& item : flush_items_) FlushLeg(item, send_batches_[0]);
    return;
  }
  // A big room's sends go to the pool and this thread goes on: on loopback each send also pays
  // for the receiving side of the delivery, so they would be a third of its tick.
  WorkerPool::Shared().Start(
      flush_batch_, flush_items_.size(),
      [](void* self, size_t index, size_t slot) {
        auto& thread = *static_cast<MediaThread*>(self);
        thread.FlushLeg(thread.flush_items_[index], thread.send_batches_[slot]);
      },
      this);
}

void MediaThread::CheckLegs(int64_t now_ns) {
  const int64_t report_interval_ns = static_cast<int64_t>(options_.drop_report_interval_ms) * kNsPerMs;
  for (Leg* leg : leg_list_) {
    if (leg->timeout_ns > 0 && !leg->timed_out && now_ns - leg->last_valid_ns >= leg->timeout_ns) {
      leg->timed_out = true;
      leg->Publish();
      MediaEvent event;
      event.type = MediaEventType::kTimeout;
      event.reason = static_cast<uint8_t>(TimeoutReason::kRtpTimeout);
      event.leg = leg->id;
      event.count = static_cast<uint64_t>(leg->timeout_ns / kNsPerMs);
      EmitEvent(event);
    }
    if (now_ns - leg->last_drop_report_ns < report_interval_ns) continue;
    bool reported = false;
    for (size_t reason = 0; reason < kDropReasonCount; ++reason) {
      if (leg->unreported[reason].load(std::memory_order_relaxed) == 0) continue;
      MediaEvent event;
      event.type = MediaEventType::kDropped;
      event.reason = static_cast<uint8_t>(reason);
      event.leg = leg->id;
      event.count = leg->unreported[reason].exchange(0, std::memory_order_relaxed);
      event.total = leg->dropped[reason].load(std::memory_order_relaxed);
      if (reason == static_cast<size_t>(DropReason::kStranger)) event.address = leg->last_stranger;
      EmitEvent(event);
      reported = true;
    }
    if (reported) leg->last_drop_report_ns = now_ns;
  }
}

bool MediaThread::EmitEvent(const MediaEvent& event) {
  if (local_events_.size() >= options_.max_events) {
    Bump(events_lost_);
    return false;
  }
  local_events_.push_back(event);
  return true;
}

void MediaThread::PublishEvents() {
  if (local_events_.empty()) return;
  uint64_t lost = 0;
  {
    std::lock_guard<std::mutex> lock(events_mutex_);
    for (const MediaEvent& event : local_events_) {
      if (pending_events_.size() < options_.max_events) {
        pending_events_.push_back(event);
      } else {
        ++lost;
      }
    }
  }
  local_events_.clear();
  if (lost > 0) Bump(events_lost_, lost);
  if (!notify_pending_.exchange(true, std::memory_order_acq_rel) && options_.notify) options_.notify();
}

}  // namespace confmix::io
