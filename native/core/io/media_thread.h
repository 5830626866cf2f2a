// A shard's native media thread: a precise clock running TickJobs at absolute deadlines, and the
// plain-RTP UDP sockets of its legs (drained with recvmmsg, sent with sendmmsg), with latching,
// inactivity timeouts and statistics. Other threads control it through a command queue.
//
// It sleeps on a timer at its next deadline and an eventfd that commands and pushed packets
// signal, so a thread with nothing due costs nothing. Each tick's wake: apply queued commands,
// run every due tick once, flush the datagrams the ticks queued, drain the readable sockets (an
// epoll set polled without waiting, so idle sockets cost nothing) and the queues fed by other
// threads, check timeouts, publish events. Between ticks it drains once, a slice before the
// deadline, so the interval's packets reach this tick; a busy thread (many datagrams an
// interval) drains every slice instead, so the tick's own drain stays short. Arrival times are
// the kernel's stamps, not the drain's, so the drain cadence does not blur them. Late ticks run
// back to back on the next wakes until caught up.
#pragma once
#include <pthread.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/io/command_queue.h"
#include "core/io/datagram_batch.h"
#include "core/io/latency_stats.h"
#include "core/io/media_event.h"
#include "core/io/port_allocator.h"
#include "core/io/socket_address.h"
#include "core/status.h"
#include "core/io/tick_job.h"
#include "core/io/udp_socket.h"
#include "core/io/worker_pool.h"

namespace confmix::io {

/** How the thread is set up; fixed for its life. */
struct MediaThreadOptions {
  int port_min = 16384;                 // first port legs may bind
  int port_max = 32767;                 // last port legs may bind
  bool even_ports = true;               // RTP on even ports (RTCP on the odd one above)
  int idle_wake_ms = 20;                // wake cadence while legs are open and no job is clocked
  int realtime_priority = 10;           // SCHED_FIFO priority of the thread when permitted; 0: ordinary
  int drop_report_interval_ms = 1000;   // at most one dropped-packets event per leg per this
  size_t max_tick_datagrams = 8192;     // datagrams all jobs may queue in one wake
  size_t max_tick_bytes = 4 << 20;      // bytes all jobs may queue in one wake
  size_t max_outgoing_datagrams = 8192; // datagrams waiting for the feeding thread to take
  size_t max_outgoing_bytes = 4 << 20;  // bytes waiting for the feeding thread to take
  size_t max_inbound_datagrams = 64;    // per leg fed from another thread, between two wakes
  size_t max_inbound_bytes = 32768;     // per leg fed from another thread, between two wakes
  size_t max_events = 1024;             // events waiting for the owner; more are counted lost
  std::function<void()> notify;         // called (media thread) at most once per wake with events
};

/** Where a leg's packets come from. */
enum class LegTransport : uint8_t {
  kUdp,       // a UDP socket owned by the media thread
  kExternal,  // another thread pushes packets in and takes the outgoing ones (WebRTC)
};

/** How a leg is opened. */
struct LegOptions {
  LegTransport transport = LegTransport::kUdp;
  bool ipv6 = false;               // UDP: bind an IPv6 socket
  std::string local_address;       // UDP: numeric address to bind; "" binds the wildcard
  SocketAddress remote;            // where to send, and the only accepted source (empty: none yet)
  bool symmetric_latching = false; // learn the remote from the first valid packet
  int timeout_ms = 30000;          // no valid packet for this long raises a timeout; 0 = never
  bool reserve_rtcp = false;       // UDP: also hold port + 1 for RTCP
};

/** A leg just opened. */
struct LegInfo {
  LegId id = 0;  // the leg's id
  int port = 0;  // its local UDP port (0 for external legs)
};

/** Counters of one leg. */
struct LegStats {
  LegId id = 0;
  LegTransport transport = LegTransport::kUdp;
  int port = 0;
  uint64_t packets_in = 0;        // valid packets accepted
  uint64_t bytes_in = 0;
  uint64_t packets_out = 0;       // datagrams sent (or handed to the feeding thread)
  uint64_t bytes_out = 0;
  uint64_t dropped_stranger = 0;  // from a source other than the remote
  uint64_t dropped_invalid = 0;   // rejected by the sink, or truncated
  uint64_t dropped_overflow = 0;  // a queue was full
  uint64_t dropped_no_remote = 0; // nowhere to send
  uint64_t send_failed = 0;       // the kernel refused
  bool latched = false;           // symmetric latching has learned the remote
  bool connected = false;         // sends and the remote's packets use a socket connected to it
  bool timed_out = false;         // the inactivity timeout has fired (until a valid packet)
  SocketAddress remote;           // current remote (empty if none)
};

/** Counters of one job. */
struct JobStats {
  JobId id = 0;
  int interval_ms = 0;
  uint64_t ticks = 0;  // ticks run
  bool asleep = false; // the job needs no clock until it is roused
};

/** Counters of the whole thread. */
struct ThreadStats {
  bool running = false;
  uint64_t wakes = 0;           // times the thread woke for its deadline (ticks, idle checks)
  uint64_t drains = 0;          // times it woke between deadlines (a drain slice, a command)
  uint64_t ticks = 0;           // job ticks run
  uint64_t overruns = 0;        // ticks whose work took longer than their interval or ran later than one interval
  int64_t tick_cpu_ns = 0;      // thread CPU time spent inside TickJob::Tick
  int64_t thread_cpu_ns = 0;    // thread CPU time in all (ticks, socket I/O, bookkeeping)
  uint64_t events_lost = 0;     // events dropped because the owner did not take them
  double load = 0;              // busy share of wall time over the last ~1 s window (0..1)
  bool realtime = false;        // the thread runs under SCHED_FIFO
};

/** Everything Stats() reports. */
struct MediaThreadStats {
  ThreadStats thread;
  std::vector<JobStats> jobs;
  std::vector<LegStats> legs;
};

/** The media thread. Every public method is thread-safe and returns; none throws. */
class MediaThread final : private TickServices {
 public:
  /** Checks options before construction; Ok or ERR_INVALID_ARGUMENT with the reason. */
  static Status ValidateOptions(const MediaThreadOptions& options);

  /** Sets up (no thread yet). Options must have passed ValidateOptions. */
  explicit MediaThread(MediaThreadOptions options);
  /** Stops the thread and closes every socket. */
  ~MediaThread() override;
  MediaThread(const MediaThread&) = delete;
  MediaThread& operator=(const MediaThread&) = delete;

  /** Starts the thread; ERR_INVALID_STATE if already started or stopped. */
  Status Start();
  /** Stops and joins the thread, closes every socket and drops every job. Final; idempotent. */
  void Stop();

  /** Opens a leg: binds a UDP socket on a free port of the range (or makes an external leg).
   *  ERR_PORTS_EXHAUSTED when no port is free. */
  Status OpenLeg(const LegOptions& options, LegInfo* info);
  /** Closes a leg; its port is free once the kLegClosed event is out. */
  Status CloseLeg(LegId leg);
  /** Sets the remote of a leg. With latching on, the first valid packet learns it again (a
   *  re-INVITE may come from behind a new NAT binding); turn latching off to pin it. */
  Status SetRemote(LegId leg, const SocketAddress& remote);
  /** Turns symmetric latching on (forgetting any latched remote) or off. */
  Status SetLatching(LegId leg, bool symmetric_latching);
  /** Sets the inactivity timeout (0 = never), restarting its count. */
  Status SetTimeout(LegId leg, int timeout_ms);
  /** Routes a leg's packets to `sink` (nullptr detaches). The sink must live until detached, or
   *  until job `owner` is removed: removing a job detaches the sinks it owns first. */
  Status AttachSink(LegId leg, PacketSink* sink, JobId owner);

  /** True while a leg with this id is open. */
  bool HasLeg(LegId leg) const;

  /** Adds a job ticking every `interval_ms` (10, 20, 40 or 60). Deadlines lie on a grid shared
   *  by all jobs (multiples of the interval from the thread's creation), so jobs tick together;
   *  the first is the next grid point, at most one interval away. */
  Status AddJob(std::unique_ptr<TickJob> job, int interval_ms, JobId* id);
  /** Removes a job (destroyed on the media thread); a kJobRemoved event follows. */
  Status RemoveJob(JobId job);
  /** Makes a job that slept (TickJob::Sleeps) tick again from the next deadline of its grid.
   *  Any thread; a job that is awake, or gone, is left as it is. */
  void RouseJob(const TickJob* job);

  /** Feeds one packet into an external leg (copied; delivered at the next wake). `accepted` is
   *  false when the leg's inbound queue is full (the packet is dropped and counted). */
  Status PushPacket(LegId leg, const uint8_t* data, size_t size, bool* accepted);
  /** Takes every datagram queued for external legs since the last call (a swap: `out` is
   *  emptied first and keeps its own caps). */
  void TakeOutgoing(DatagramBatch& out);
  /** Takes every event waiting (a swap, `out` is emptied first). */
  void TakeEvents(std::vector<MediaEvent>& out);

  /** A snapshot of the counters (the thread keeps running while it is read). */
  MediaThreadStats Stats() const;
  /** The thread's own counters only: no per-job or per-leg lists, so it costs the same with
   *  3000 legs as with one. */
  ThreadStats Counters() const;
  /** Tick lateness (tick start minus deadline) since the last reset (readable from any thread). */
  const LatencyHistogram& Lateness() const { return lateness_; }
  /** Starts the lateness percentiles afresh from the next wake (e.g. after a warm-up). */
  void ResetLateness() { reset_lateness_.store(true, std::memory_order_release); }

 private:
  struct Leg;
  // One leg's datagrams in a flush: the first one's index in the flush's outbox.
  struct FlushItem {
    Leg* leg;
    int32_t head;
  };
  struct JobSlot;
  struct Command;
  enum class State : uint8_t { kCreated, kRunning, kStopped };

  // Control side (any thread but the media thread).
  void Dispatch(Command command);  // control_mutex_ held
  std::shared_ptr<Leg> FindControlLeg(LegId leg) const;
  // What a command needs of its leg besides existing.
  enum class LegNeeds : uint8_t { kAny, kSocket, kExternal };
  // The leg a command names (control_mutex_ held), or why the command cannot be taken: the
  // thread stopped, no such leg, or not the leg's kind. `out` may be null.
  Status FindCommandLeg(LegId leg, LegNeeds needs, std::shared_ptr<Leg>* out) const;

  // Media side (the media thread, or the control thread while no media thread runs).
  /** The thread's body; `scheduled` is fulfilled once its name and scheduling are in place. */
  void Run(std::promise<void>* scheduled);
  // Sleeps until `deadline_ns` (CLOCK_MONOTONIC) or until Signal(), whichever is first.
  void WaitUntil(int64_t deadline_ns);
  // Wakes the thread from WaitUntil (any thread; one write however many callers).
  void Signal();
  // The deadline's work; `drained` when DrainBeforeTick ran just before it.
  void Wake(bool drained);
  // A quiet thread's drain of the interval's datagrams, right before its tick.
  void DrainBeforeTick(int64_t now_ns, int64_t deadline_ns);
  void CountBusy(int64_t from_ns, int64_t to_ns);
  ThreadStats CountersLocked() const;  // control_mutex_ held
  void DrainBetweenTicks(int64_t deadline_ns);
  void ApplyCommands(int64_t now_ns);
  void Apply(Command& command, int64_t now_ns);
  void ReceiveSockets(int64_t now_ns, int64_t stop_at_ns);
  void ReceiveInbound(int64_t now_ns);
  // A datagram from anyone but the leg's remote (a latching leg that has not latched takes anyone).
  bool IsStranger(const Leg& leg, const SocketAddress& from) const;
  void HandleDatagram(Leg& leg, const uint8_t* data, size_t size, const SocketAddress& from, int64_t arrival_ns);
  void RunDueTicks();
  void FlushOutbox();
  void FlushLeg(const FlushItem& item, SendBatch& batch);  // one leg's datagrams (any worker-pool slot)
  void FinishFlush();  // waits for a flush handed to the pool (before touching what it reads)
  void CheckLegs(int64_t now_ns);
  void PublishEvents();
  void CloseLegNow(Leg& leg);
  void ConnectPeer(Leg& leg);  // (re)connects the leg's peer socket to its remote
  void ClosePeer(Leg& leg);
  void Drop(Leg& leg, DropReason reason, uint64_t count);
  int64_t NextWakeNs() const;
  Leg* FindMediaLeg(LegId leg) const;
  bool QueueDatagram(LegId leg, const uint8_t* data, size_t size) override;
  bool EmitEvent(const MediaEvent& event) override;

  const MediaThreadOptions options_;
  const int64_t epoch_ns_;  // origin of the deadline grid
  PortAllocator ports_;

  // Control state, guarded by control_mutex_ (the media thread never takes it).
  mutable std::mutex control_mutex_;
  State state_ = State::kCreated;
  LegId next_leg_id_ = 1;
  JobId next_job_id_ = 1;
  std::unordered_map<LegId, std::shared_ptr<Leg>> control_legs_;
  std::unordered_map<JobId, std::shared_ptr<JobSlot>> control_jobs_;
  std::thread thread_;
  pthread_t media_handle_{};  // for reading the thread's CPU clock while it runs

  CommandQueue<Command> commands_;
  std::atomic<bool> stop_requested_{false};

  // Media state.
  int epoll_fd_ = -1;   // the legs' sockets, edge-triggered, polled without waiting
  int wait_fd_ = -1;    // what the thread sleeps on: timer_fd_ and wake_fd_
  int timer_fd_ = -1;   // armed at the next deadline (absolute)
  int wake_fd_ = -1;    // an eventfd that Signal() writes
  int64_t timer_armed_ns_ = -1;
  size_t received_this_interval_ = 0;  // datagrams taken since the last deadline wake
  bool busy_ = false;                  // the last interval brought many datagrams: drain every slice
  int64_t quiet_drain_ns_ = 0;         // how long a quiet drain before a tick takes (running estimate)
  std::unordered_map<LegId, std::shared_ptr<Leg>> legs_;
  std::vector<Leg*> leg_list_;         // legs_ in a flat list, for per-wake checks
  std::vector<std::shared_ptr<JobSlot>> jobs_;
  size_t awake_jobs_ = 0;              // jobs_ not sleeping: only these need the clock
  std::vector<Command> applying_;
  std::vector<epoll_event> ready_;
  std::vector<uint64_t> readable_;     // this drain's sockets (epoll tags): carried over, then ready
  std::vector<uint64_t> unfinished_;   // sockets a drain left readable, for the next one
  ReceiveBatch receive_batch_;
  std::vector<SendBatch> send_batches_;  // send scratch per worker-pool slot
  DatagramBatch outbox_;               // this wake's datagrams from the jobs
  std::vector<int32_t> outbox_next_;   // per datagram: the next one of the same leg, or -1
  std::vector<Leg*> outbox_legs_;      // legs with datagrams in the outbox
  // A big room's sends run on the worker pool while this thread goes on (receiving, the next
  // slices): the outbox is swapped into these, which the pool reads until FinishFlush.
  DatagramBatch flushing_;
  std::vector<int32_t> flushing_next_;
  std::vector<FlushItem> flush_items_;  // legs with a socket and datagrams in the flush
  WorkerPool::Batch flush_batch_;
  DatagramBatch inbound_taken_;        // a leg's inbound queue, swapped out for delivery
  std::vector<MediaEvent> local_events_;
  std::vector<std::pair<TickJob*, int64_t>> ticked_;  // this wake's ticks and their deadlines
  int64_t last_wake_ns_ = 0;

  // Handed between threads.
  std::mutex outgoing_mutex_;
  DatagramBatch outgoing_;             // datagrams for external legs, until taken
  std::mutex events_mutex_;
  std::vector<MediaEvent> pending_events_;
  std::atomic<bool> notify_pending_{false};
  std::atomic<bool> signal_pending_{false};  // wake_fd_ written and not yet read

  // Statistics (written by the media thread only).
  LatencyHistogram lateness_;
  std::atomic<bool> reset_lateness_{false};
  std::atomic<uint64_t> wakes_{0};
  std::atomic<uint64_t> drains_{0};
  std::atomic<uint64_t> ticks_{0};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<int64_t> tick_cpu_ns_{0};
  std::atomic<int64_t> final_thread_cpu_ns_{0};
  std::atomic<uint64_t> events_lost_{0};
  int64_t busy_ns_ = 0;                // working wall time in the current load window
  int64_t load_window_start_ns_ = 0;
  std::atomic<double> load_{0};        // busy share of the last completed window
  std::atomic<bool> realtime_{false};  // SCHED_FIFO was granted
};

}  // namespace confmix::io
