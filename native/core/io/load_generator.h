// A native RTP load generator for benchmarks: N UDP sockets (one per simulated member), each
// sending a pre-built RTP packet every interval with its own SSRC, sequence and timestamp, on
// its own clock thread, and counting what each socket receives back.
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
#include "core/io/status.h"
#include "core/io/udp_socket.h"

namespace confmix::io {

/** How a generator is set up. */
struct LoadGeneratorOptions {
  size_t members = 1;            // sockets, one per simulated member
  std::string local_address = "127.0.0.1";  // numeric address the sockets bind (port chosen by the kernel)
  int interval_ms = 20;          // one packet per member per interval
  int payload_type = 0;          // RTP payload type
  int clock_rate = 8000;         // RTP clock, for the timestamp step
  size_t payload_bytes = 160;    // payload after the 12-byte header (160: 20 ms of PCMU)
  uint64_t packets = 0;          // per member, then stop sending (0 = until Stop)
  int drain_ms = 500;            // after the last send, keep counting arrivals this long
  std::function<void()> on_done; // called on the generator thread when sending and draining ended
};

/** What a generator has done so far. */
struct LoadGeneratorStats {
  bool running = false;
  size_t members = 0;
  uint64_t ticks = 0;              // send rounds
  uint64_t sent = 0;               // datagrams the kernel took
  uint64_t send_failed = 0;        // datagrams refused
  uint64_t received = 0;           // datagrams received, all members
  uint64_t min_received = 0;       // by the member that received least
  double elapsed_ms = 0;           // first round's deadline to one interval after the last round
  double min_packets_per_second = 0;  // least received per member per second of elapsed
  double avg_packets_per_second = 0;  // mean received per member per second of elapsed
  int64_t cpu_ns = 0;              // CPU time of the generator thread
  int64_t lateness_max_ns = 0;     // latest send round behind its deadline
};

/** The generator. Public methods are thread-safe and never throw. */
class LoadGenerator {
 public:
  /** Checks options; Ok or ERR_INVALID_ARGUMENT. */
  static Status ValidateOptions(const LoadGeneratorOptions& options);
  /** Binds the sockets; on failure returns null and sets `status`. */
  static std::unique_ptr<LoadGenerator> Create(LoadGeneratorOptions options, Status* status);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  /** The local port of each member's socket, in member order. */
  std::vector<int> ports() const;
  /** Starts sending: member i sends to targets[i % targets.size()]. ERR_INVALID_STATE if started. */
  Status Start(std::vector<SocketAddress> targets);
  /** Stops and joins the thread (idempotent); the sockets stay bound until destruction. */
  void Stop();
  /** Counters so far. */
  LoadGeneratorStats Stats() const;
  /** True when it stops by itself (a packet count was given). */
  bool finite() const { return options_.packets > 0; }

 private:
  explicit LoadGenerator(LoadGeneratorOptions options);
  void Run();
  void Receive();

  const LoadGeneratorOptions options_;
  std::vector<UdpSocket> sockets_;
  std::vector<SocketAddress> targets_;
  std::vector<uint8_t> packets_;                 // one pre-built packet per member
  std::vector<std::atomic<uint64_t>> received_;  // per member
  int epoll_fd_ = -1;
  ReceiveBatch receive_batch_;
  SendBatch send_batch_;

  mutable std::mutex control_mutex_;
  bool started_ = false;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> ticks_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<int64_t> first_send_ns_{0};
  std::atomic<int64_t> last_round_ns_{0};
  std::atomic<int64_t> cpu_ns_{0};
  std::atomic<int64_t> lateness_max_ns_{0};
};

}  // namespace confmix::io
