// A native RTP load generator for benchmarks: thousands of simulated members sending from a few
// shared UDP sockets on one clock thread. Members are grouped in streams (a payload type, clock,
// interval and a loop of payload frames); each member has its own SSRC, sequence and timestamp.
// Each round sends every due member's packet with sendmmsg, and what comes back is counted per
// member by its source address (the member's target).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/io/socket_address.h"
#include "core/status.h"
#include "core/io/udp_socket.h"

namespace confmix::io {

/** A run of consecutive members sending the same kind of packets. */
struct LoadStream {
  size_t members = 1;       // members in this stream
  int payload_type = 0;     // RTP payload type
  int clock_rate = 8000;    // RTP clock, Hz: the timestamp steps clock_rate * interval_ms / 1000
  int interval_ms = 20;     // one packet per member per interval: a multiple of the generator's tick
  size_t first_frame = 0;   // a member's k-th packet carries frames[(first_frame + k) % frames.size()]
  std::vector<std::vector<uint8_t>> frames;  // the payload loop (after the 12-byte header)
  bool traced = false;      // log each member's send times and received datagrams (latency probes)
};

/** One traced packet sent: its number in the member's stream (the sequence's low 16 bits) and
 *  the wall clock just before the sendmmsg call that took it. */
struct LoadTraceSend {
  uint64_t packet = 0;
  int64_t time_ns = 0;  // CLOCK_REALTIME
};

/** One datagram a traced member received, with the kernel's arrival time. */
struct LoadTraceReceive {
  int64_t time_ns = 0;  // CLOCK_REALTIME (SO_TIMESTAMPNS; the read time when the kernel gave none)
  std::vector<uint8_t> bytes;
};

/** What a traced member sent and received, oldest first (each list stops at kMaxTraceRecords). */
struct LoadTrace {
  std::vector<LoadTraceSend> sends;
  std::vector<LoadTraceReceive> receives;
};

/** How a generator is set up. */
struct LoadGeneratorOptions {
  std::vector<LoadStream> streams;           // members in stream order: member 0 is the first stream's first
  size_t sockets = 0;                        // shared sockets (0: one per 100 members); member i uses i % sockets
  std::string local_address = "127.0.0.1";  // numeric address the sockets bind (ports chosen by the kernel)
  int tick_ms = 20;                          // one send round per tick
  uint64_t rounds = 0;                       // send rounds, then stop sending (0 = until Stop)
  int drain_ms = 500;                        // after the last round, keep counting arrivals this long
  int realtime_priority = 0;                 // SCHED_FIFO priority of the clock thread when permitted; 0: ordinary
  std::function<void()> on_done;             // called on the generator thread when sending and draining ended
};

/** What a generator has done so far. */
struct LoadGeneratorStats {
  bool running = false;
  size_t members = 0;
  size_t sockets = 0;                 // shared sockets
  uint64_t ticks = 0;                 // send rounds
  uint64_t sent = 0;                  // datagrams the kernel took
  uint64_t send_failed = 0;           // datagrams refused
  uint64_t partial_sends = 0;         // sendmmsg calls that took only part of their batch
  uint64_t received = 0;              // datagrams from members' targets, all members
  uint64_t min_received = 0;          // by the member that received least
  uint64_t strangers = 0;             // datagrams from a source no member sends to
  double elapsed_ms = 0;              // first round's deadline to one tick after the last round
  double min_packets_per_second = 0;  // least received per member per second of elapsed
  double avg_packets_per_second = 0;  // mean received per member per second of elapsed
  int64_t cpu_ns = 0;                 // CPU time of the generator thread
  int64_t lateness_max_ns = 0;        // latest send round behind its deadline
  bool realtime = false;              // the clock thread runs under SCHED_FIFO
  int receive_buffer_bytes = 0;       // SO_RCVBUF the kernel granted each socket
  int send_buffer_bytes = 0;          // SO_SNDBUF the kernel granted each socket
};

/** The generator. Public methods are thread-safe and never throw. */
class LoadGenerator {
 public:
  /** Most members one generator simulates. */
  static constexpr size_t kMaxMembers = 20000;
  /** Most shared sockets. */
  static constexpr size_t kMaxSockets = 256;
  /** Datagrams one sendmmsg call takes at most. */
  static constexpr size_t kSendBatch = 1024;
  /** Datagrams one recvmmsg call takes at most. */
  static constexpr size_t kReceiveBatch = 64;
  /** Most traced members, and records each keeps of its sends and of its receives. */
  static constexpr size_t kMaxTracedMembers = 16;
  static constexpr size_t kMaxTraceRecords = 15000;

  /** Checks options; Ok or ERR_INVALID_ARGUMENT naming the bad field. */
  static Status ValidateOptions(const LoadGeneratorOptions& options);
  /** Validates, then binds the sockets; on failure returns null (nothing left bound) and sets `status`. */
  static std::unique_ptr<LoadGenerator> Create(LoadGeneratorOptions options, Status* status);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  /** The local port each member sends from, in member order (members of one socket share it). */
  std::vector<int> ports() const;
  /** Members in all. */
  size_t members() const { return members_; }
  /** Starts sending: member i sends to targets[i] (one per member), and datagrams from
   *  targets[i] arriving on member i's socket count for it (the lowest such member when
   *  several of one socket share a target). ERR_INVALID_STATE if started. */
  Status Start(std::vector<SocketAddress> targets);
  /** Stops and joins the thread (idempotent); the sockets stay bound until destruction. */
  void Stop();
  /** Counters so far. */
  LoadGeneratorStats Stats() const;
  /** Datagrams member `member` (< members()) has received from its target. */
  uint64_t received_by(size_t member) const { return received_[member].load(std::memory_order_relaxed); }
  /** Datagrams of member `member` (< members()) the kernel took. */
  uint64_t sent_by(size_t member) const { return sent_by_[member].load(std::memory_order_relaxed); }
  /** A copy of what traced member `member` has sent and received so far (empty when not traced). */
  LoadTrace Trace(size_t member) const;
  /** True when it stops by itself (a round count was given). */
  bool finite() const { return options_.rounds > 0; }

 private:
  // One stream as the send loop reads it.
  struct StreamPlan {
    size_t first_member = 0;
    size_t members = 0;
    uint64_t interval_ticks = 1;      // sends when round % interval_ticks == member's phase
    uint32_t timestamp_step = 0;
    uint8_t payload_type = 0;
    size_t first_frame = 0;
    size_t first_frame_ref = 0;       // index of its frame 0 in frame_refs_
    size_t frames = 0;
  };
  // A payload frame in frame_bytes_.
  struct FrameRef {
    size_t offset = 0;
    size_t size = 0;
  };
  // One shared socket's sends: datagrams of two pieces (the member's header, the frame).
  struct SocketSendBatch {
    SocketSendBatch() : batch(kSendBatch), member_of(kSendBatch) {}
    SendBatch batch;
    std::vector<uint32_t> member_of;  // member of each queued datagram
  };

  explicit LoadGenerator(LoadGeneratorOptions options);
  Status Bind();
  void BuildSourceIndex();
  size_t FindMember(size_t socket, const SocketAddress& source) const;
  void Run();
  void SendRound(uint64_t round);
  void Queue(size_t member, const uint8_t* payload, size_t payload_bytes);
  void Flush(size_t socket);
  void Receive();
  void TraceReceive(size_t member, size_t datagram);

  const LoadGeneratorOptions options_;
  const size_t members_;
  std::vector<UdpSocket> sockets_;
  std::vector<StreamPlan> streams_;
  std::vector<FrameRef> frame_refs_;
  std::vector<uint8_t> frame_bytes_;
  std::vector<SocketAddress> targets_;
  std::vector<uint8_t> headers_;                 // 12 bytes per member, rewritten before each send
  std::vector<uint64_t> packets_built_;          // per member: its next packet's number (thread only)
  std::vector<SocketSendBatch> send_batches_;    // per socket
  std::vector<int32_t> source_index_;            // open addressing: member index or -1
  size_t source_mask_ = 0;
  ReceiveBatch receive_batch_;
  int receive_buffer_bytes_ = 0;
  int send_buffer_bytes_ = 0;

  std::vector<int32_t> trace_slot_;              // per member: its index in traces_, or -1
  std::vector<LoadTrace> traces_;                // traced members' logs, under trace_mutex_
  mutable std::mutex trace_mutex_;

  std::unique_ptr<std::atomic<uint64_t>[]> received_;  // per member
  std::unique_ptr<std::atomic<uint64_t>[]> sent_by_;   // per member

  mutable std::mutex control_mutex_;
  bool started_ = false;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> ticks_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<uint64_t> partial_sends_{0};
  std::atomic<uint64_t> strangers_{0};
  std::atomic<int64_t> first_send_ns_{0};
  std::atomic<int64_t> last_round_ns_{0};
  std::atomic<int64_t> cpu_ns_{0};
  std::atomic<int64_t> lateness_max_ns_{0};
  std::atomic<bool> realtime_{false};
};

}  // namespace confmix::io
