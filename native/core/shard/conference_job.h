// A conference as the media thread runs it: a clocked job around a MediaConference, and the
// packet sink of its members' legs (RTP legs, and separate RTCP legs when a peer does not
// multiplex). Control calls reach it as commands applied on the media thread (before the next
// packet or tick), so the conference is only ever touched there. Each member's RTCP figures are
// published to other threads as a snapshot, under a lock held only for the copy.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/io/command_queue.h"
#include "core/io/latency_stats.h"
#include "core/io/tick_job.h"
#include "core/media/media_conference.h"
#include "core/mix/relate.h"
#include "core/shard/shard_outbox.h"

namespace confmix::shard {

/** Codes of the kJob events a conference job emits (io::MediaEvent::reason). */
enum class JobEventCode : uint8_t {
  kOutbox = 0,   // the shard outbox holds events or frames
  kRtcpBye = 1,  // a member's peer sent an RTCP BYE: count = member id, leg = its RTP leg;
                 // the reason text is in the member's RTCP snapshot
};

class ConferenceJob final : public io::TickJob, public io::PacketSink, private MediaOutput {
 public:
  /** A command run on the media thread with the job (and its conference). */
  using Command = std::function<void(ConferenceJob&)>;

  /** Called (any thread) when a command comes for the job while it sleeps: the owner rouses it
   *  on its media thread (io::MediaThread::RouseJob). */
  using Rouse = std::function<void(const io::TickJob*)>;

  ConferenceJob(uint32_t handle, std::unique_ptr<MediaConference> conference, ShardOutbox& outbox,
                Rouse rouse = nullptr);

  /** Queues a command (any thread); a sleeping job is roused to run it. */
  void Post(Command command);

  /** The conference (media thread only: inside a Command, Tick or OnPacket). */
  MediaConference& conference() { return *conference_; }
  /** Routes a leg's packets to a member and the member's packets to the leg (media thread). */
  void BindLeg(uint32_t member, io::LegId leg);
  /** Forgets a member's legs and RTCP snapshot (media thread). */
  void UnbindMember(uint32_t member);
  /** Routes a member's separate RTCP leg: its packets to the member's RTCP session, the
   *  member's reports to it instead of the RTP leg (media thread). */
  void BindRtcpLeg(uint32_t member, io::LegId leg);
  /** Forgets a member's RTCP leg: reports go on the RTP leg again (media thread). */
  void UnbindRtcpLeg(uint32_t member);
  /** Reports a command that failed on the media thread; Drain() hands it over after this tick. */
  void ReportFailure(CommandFailure failure);

  // What commands do, on the media thread. A failure the owner was not told of when it posted
  // the command is reported (ReportFailure), never dropped.

  /** Conference-wide mute and hold. */
  void SetFlags(std::optional<bool> mute, std::optional<bool> hold);
  /** Adds a member with its media and routes its legs (0: none). */
  void AddMember(uint32_t member, const MemberUpdate& initial, const MemberMediaConfig& media, io::LegId leg,
                 io::LegId rtcp_leg);
  /** Forgets a member's legs and removes it. */
  void RemoveMember(uint32_t member);
  /** A member's settings. */
  void UpdateMember(uint32_t member, const MemberUpdate& update);
  /** A member's new receive and/or send path. */
  void UpdateMedia(uint32_t member, const MemberMediaConfig& media);
  /** The peer negotiated rtcp-mux: reports go out without waiting for its first RTCP. */
  void ConfirmRtcpMux(uint32_t member);
  /** App PCM at the conference rate. */
  void PushAppPcm(uint32_t member, const std::vector<int16_t>& pcm);
  /** Starts a playback. */
  void StartPlayback(uint32_t playback, std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
                     std::optional<uint32_t> target);
  /** Stops a playback. */
  void StopPlayback(uint32_t playback);
  /** A DTMF key for a member. */
  void PressKey(uint32_t member, char key);
  /** Relates two members (see core/mix/relate.h). */
  void Relate(uint32_t member, uint32_t other, Relationship relationship);
  /** Starts a recording; one the conference refuses now (its member left) ends as failed. */
  void StartRecording(const record::RecordingSpec& spec);
  /** Stops a recording. */
  void StopRecording(uint32_t recording);
  /** A member's voice processing on (options) or off. */
  void SetVoiceProcessing(uint32_t member, const std::optional<VoiceOptions>& options);
  /** The member's last published RTCP figures (any thread); false before the first. */
  bool MemberRtcpStats(uint32_t member, RtcpSessionStats* out) const;
  /** The target delay of the member's jitter buffer when its RTCP figures were last published
   *  (any thread); false before the first. */
  bool MemberJitterTargetMs(uint32_t member, double* out) const;

  /** Ticks between two snapshots of every member's RTCP figures (changes publish sooner). */
  static constexpr uint64_t kRtcpPublishTicks = 50;

  /** Encodes done by the last tick (any thread). */
  uint32_t last_encodes() const { return last_encodes_.load(std::memory_order_relaxed); }
  /** Ticks run (any thread). */
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }
  /** Deadline of the last tick run, CLOCK_MONOTONIC ns (any thread). */
  int64_t last_deadline_ns() const { return last_deadline_ns_.load(std::memory_order_relaxed); }
  /** Decodes done by the last tick (any thread). */
  uint32_t last_decodes() const { return last_decodes_.load(std::memory_order_relaxed); }
  /** The conference's encoder complexity shed level as of the last tick (any thread). */
  int complexity_shed() const { return complexity_shed_.load(std::memory_order_relaxed); }
  /** Its own ticks' lateness: each tick's start minus its deadline (any thread reads). */
  const io::LatencyHistogram& tick_lateness() const { return tick_lateness_; }
  /** When its ticks' datagrams start leaving, minus their deadline: its tick lateness plus the
   *  ticks of other conferences due in the same wake after it (any thread reads). */
  const io::LatencyHistogram& flush_lateness() const { return flush_lateness_; }
  /** Starts both lateness figures afresh at the next tick (any thread). */
  void ResetLateness() { reset_lateness_.store(true, std::memory_order_release); }
  /** Bucket width and count of a conference's lateness histograms: 50 µs up to 20 ms, 1.6 kB. */
  static constexpr int64_t kLatenessBucketNs = 50'000;
  static constexpr size_t kLatenessBuckets = 400;

  void Tick(io::TickContext& context) override;
  void Flushed(int64_t deadline_ns, int64_t flush_ns) override;
  /** True when nothing needs the clock: no member, playback, recording or command. */
  bool Sleeps() override;
  bool OnPacket(io::LegId leg, const uint8_t* data, size_t size, const io::SocketAddress& from,
                int64_t now_ns) override;

 private:
  void ApplyCommands();
  void OnPacket(uint32_t member, const uint8_t* data, size_t size) override;
  void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) override;
  void OnRtcp(uint32_t member, const uint8_t* data, size_t size) override;
  void OnRtcpStats(uint32_t member, const RtcpSessionStats& stats) override;
  void OnRtcpBye(uint32_t member, std::string_view reason) override;
  void OnRecording(const record::RecordingEvent& event) override;

  struct LegRoute {
    uint32_t member = 0;
    bool rtcp = false;  // the member's separate RTCP leg
  };
  struct RtcpSnapshot {
    bool published = false;
    RtcpSessionStats stats;
    double jitter_target_ms = 0;
  };

  uint32_t handle_;
  std::unique_ptr<MediaConference> conference_;
  ShardOutbox& outbox_;
  io::CommandQueue<Command> commands_;
  std::atomic<bool> has_commands_{false};
  Rouse rouse_;
  std::atomic<bool> asleep_{false};  // set by the media thread, cleared by whoever sees a command first
  std::vector<Command> applying_;
  std::unordered_map<io::LegId, LegRoute> member_of_leg_;
  std::unordered_map<uint32_t, io::LegId> leg_of_member_;
  std::unordered_map<uint32_t, io::LegId> rtcp_leg_of_member_;
  mutable std::mutex rtcp_stats_mutex_;
  std::unordered_map<uint32_t, RtcpSnapshot> rtcp_stats_;  // an entry per bound member, made at bind
  io::TickContext* context_ = nullptr;  // during Tick
  OutboxBatch staged_;
  std::atomic<uint32_t> last_encodes_{0};
  std::atomic<uint32_t> last_decodes_{0};
  std::atomic<int> complexity_shed_{0};
  std::atomic<uint64_t> ticks_{0};
  std::atomic<int64_t> last_deadline_ns_{0};
  io::LatencyHistogram tick_lateness_{kLatenessBucketNs, kLatenessBuckets};
  io::LatencyHistogram flush_lateness_{kLatenessBucketNs, kLatenessBuckets};
  std::atomic<bool> reset_lateness_{false};
};

}  // namespace confmix::shard
