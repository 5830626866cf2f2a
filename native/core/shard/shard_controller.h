// A shard's media plane as its owner drives it: one media thread (clock, sockets) whose jobs are
// the shard's conferences. Each call is checked here against the controller's own record of
// conferences, members and legs, so a refusal is synchronous and changes nothing; the change
// itself reaches the conference as a command applied on the media thread. A command that still
// fails there is reported by Drain() as a CommandFailure, never dropped.
//
// Every RTP member has an RTCP session (RFC 3550). With rtcp-mux (the default) RTCP shares the
// RTP leg; without it a second leg carries it. When the caller does not say rtcp-mux, the peer
// may not have negotiated it (RFC 5761 forbids muxing towards such a peer), so our reports wait
// for the peer's first RTCP on the RTP port; mux = true sends them from the start. The media
// thread cannot bind exactly RTP port + 1 (it hands out ports from its allocator), so that second
// leg takes any free port of the range, reported as rtcp_port (for SDP's a=rtcp).
//
// Not thread-safe: one owner thread calls it (the shard's worker); the media thread runs beside.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io/datagram_batch.h"
#include "core/io/media_thread.h"
#include "core/media/media_conference.h"
#include "core/mix/relate.h"
#include "core/shard/shard_outbox.h"
#include "core/status.h"

namespace confmix::shard {

class ConferenceJob;

/** How a member's media reaches the media thread. */
enum class LegKind : uint8_t {
  kNone,      // no media (a listener of nothing, a placeholder)
  kApp,       // PCM pushed and pulled by the owner at the conference rate
  kRtp,       // a UDP socket of the media thread
  kExternal,  // RTP the owner pushes in and takes out (a WebRTC transport decrypts and encrypts)
};

/** An RTP leg's RTCP. */
struct RtcpLegSettings {
  std::optional<bool> mux;          // empty: muxed, reports wait for the peer's first RTCP
  std::optional<int> remote_port;   // without mux: the peer's RTCP port (default remote port + 1)
  std::optional<int> interval_ms;   // nominal report interval (100..600000)
};

/** A member's leg as it is added. */
struct MemberLegSpec {
  LegKind kind = LegKind::kNone;
  MemberMediaConfig media;                  // kRtp, kExternal: receive and send paths
  std::optional<io::SocketAddress> remote;  // kRtp: where to send, and the accepted source
  std::optional<bool> symmetric_latching;   // kRtp
  std::optional<bool> ipv6;                 // kRtp: default the remote's family
  std::optional<int> timeout_ms;            // kRtp: inactivity timeout, 0 = never
  std::string local_address;                // kRtp: numeric address to bind, "" the wildcard
  RtcpLegSettings rtcp;                     // kRtp (kExternal is always muxed)
};

/** A change to an RTP leg; empty fields stay as they are. */
struct RtpLegUpdate {
  MemberMediaConfig media;  // a new receive and/or send path (rtcp and app are ignored)
  std::optional<io::SocketAddress> remote;
  std::optional<bool> symmetric_latching;
  RtcpLegSettings rtcp;     // interval_ms is refused: it is set when the member is added
};

/** A member's legs as they are now; 0 where there is none. */
struct MemberLegInfo {
  io::LegId leg = 0;   // the RTP (or external) leg
  int port = 0;        // its local UDP port
  int rtcp_port = 0;   // the separate RTCP leg's local port
};

/** One conference's clock and codec work. */
struct ConferenceCounters {
  uint32_t handle = 0;
  uint64_t ticks = 0;
  int64_t last_deadline_ns = 0;
  uint32_t encodes_per_tick = 0;
  uint32_t decodes_per_tick = 0;
  int complexity_shed = 0;
};

/** The shard's counters. */
struct ShardCounters {
  io::ThreadStats thread;
  uint32_t conferences = 0;
  uint32_t members = 0;
  uint32_t encodes_per_tick = 0;
  uint32_t decodes_per_tick = 0;
  std::vector<ConferenceCounters> per_conference;
};

/** One member's legs and RTCP figures. */
struct MemberCounters {
  MemberLegInfo legs;
  std::optional<io::LegStats> leg;       // empty without a leg
  std::optional<io::LegStats> rtcp_leg;  // empty with rtcp-mux
  std::optional<RtcpSessionStats> rtcp;  // empty before the first snapshot or without a session
  std::optional<double> jitter_target_ms;  // the jitter buffer's target delay, as of that snapshot
};

/** What happened to a leg, resolved to its member where it has one. */
struct LegEvent {
  io::MediaEvent event;   // type other than kJob and kOutgoing
  uint32_t conference = 0;
  uint32_t member = 0;
  bool has_member = false;
};

/** A member's peer sent an RTCP BYE. */
struct RtcpBye {
  uint32_t conference = 0;
  uint32_t member = 0;
  io::LegId leg = 0;
  std::string reason;  // "" when the BYE gave none
};

/** An outgoing datagram of an external leg: bytes in the batch at `offset`. */
struct ExternalDatagram {
  uint32_t conference = 0;
  uint32_t member = 0;
  size_t offset = 0;
  size_t size = 0;
};

/** Everything Drain() hands over; vectors keep their capacity across drains. */
struct ShardDrain {
  OutboxBatch outbox;                  // mixer events, app frames, command failures
  std::vector<RtcpBye> byes;
  std::vector<LegEvent> legs;
};

/** A shard's media plane. */
class ShardController {
 public:
  /** Checks the thread's options (port range, priority) before construction. */
  static Status ValidateOptions(const io::MediaThreadOptions& options);

  /** Sets up; `options` must have passed ValidateOptions. `options.notify` is called (media
   *  thread) when Drain() has news. */
  explicit ShardController(io::MediaThreadOptions options);
  /** Stops the thread and closes every socket. */
  ~ShardController();
  ShardController(const ShardController&) = delete;
  ShardController& operator=(const ShardController&) = delete;

  /** Starts the media thread. */
  Status Start();
  /** Stops the thread, closes every socket, forgets every conference. Final; idempotent. */
  void Stop();

  /** A new conference under the owner's `handle`. */
  Status CreateConference(uint32_t handle, const ConferenceOptions& options, const MediaConferenceOptions& media);
  /** Closes its legs and removes it. */
  Status DestroyConference(uint32_t handle);
  /** Conference-wide mute and hold. */
  Status SetConference(uint32_t handle, std::optional<bool> mute, std::optional<bool> hold);

  /** Adds a member with its leg; `info` says what was opened. */
  Status AddMember(uint32_t handle, uint32_t member, const MemberUpdate& initial, const MemberLegSpec& leg,
                   MemberLegInfo* info);
  /** Closes a member's legs and removes it. */
  Status RemoveMember(uint32_t handle, uint32_t member);
  /** A member's settings (mute, deaf, levels, ...). */
  Status SetMember(uint32_t handle, uint32_t member, const MemberUpdate& update);
  /** Changes an RTP member's leg (a re-negotiation); `info` says what it has now. */
  Status UpdateLeg(uint32_t handle, uint32_t member, const RtpLegUpdate& update, MemberLegInfo* info);
  /** PCM of an app member at the conference rate. */
  Status PushPcm(uint32_t handle, uint32_t member, const int16_t* pcm, size_t samples);
  /** Plays PCM into the conference (or to one member); the id must not be playing. */
  Status StartPlayback(uint32_t handle, uint32_t playback, std::shared_ptr<const std::vector<int16_t>> pcm,
                       bool loop, std::optional<uint32_t> target);
  /** Stops a playback that is playing. */
  Status StopPlayback(uint32_t handle, uint32_t playback);
  /** Presses a DTMF key for a member as if it came over RTP. */
  Status PressKey(uint32_t handle, uint32_t member, char key);
  /** Relates a member to another of the conference: 'deaf', 'mute' or 'clear' (see core/mix/relate.h). */
  Status Relate(uint32_t handle, uint32_t member, uint32_t other, Relationship relationship);

  /** Starts a recording of the conference (see core/record/conference_recordings.h); its
   *  started, done and failed events come through Drain(). The id must not be recording. */
  Status StartRecording(uint32_t handle, const record::RecordingSpec& spec);
  /** Stops a recording that is running; its done event follows. */
  Status StopRecording(uint32_t handle, uint32_t recording);
  /** Turns a member's voice processing (noise suppression, AGC) on with `options`, or off. */
  Status SetVoiceProcessing(uint32_t handle, uint32_t member, const std::optional<VoiceOptions>& options);

  /** One RTP (or muxed RTCP) datagram from an external member's peer; `accepted` is false when
   *  the leg's inbound queue is full (dropped and counted). */
  Status PushPacket(uint32_t handle, uint32_t member, const uint8_t* data, size_t size, bool* accepted);
  /** Takes the datagrams queued for external legs since the last call; `bytes` holds them. */
  void TakeOutgoing(io::DatagramBatch& bytes, std::vector<ExternalDatagram>* out);

  /** Takes every event and frame waiting (`out` is cleared first). */
  void Drain(ShardDrain* out);

  /** The shard's counters (no per-leg lists: see LegCounters). */
  ShardCounters Counters() const;
  /** Every open leg's counters. */
  std::vector<io::LegStats> LegCounters() const;
  /** One member's legs and RTCP figures. */
  Status MemberStats(uint32_t handle, uint32_t member, MemberCounters* out) const;
  /** Tick lateness since the last reset (readable from any thread). */
  const io::LatencyHistogram& Lateness() const { return thread_.Lateness(); }
  /** Starts the lateness percentiles afresh (the shard's and every conference's). */
  void ResetLateness();
  /** One conference's own lateness: its ticks' start, and its datagrams' flush, each minus the
   *  tick's deadline. */
  Status ConferenceLateness(uint32_t handle, io::LatencySummary* tick, io::LatencySummary* flush) const;

 private:
  struct MemberRecord {
    LegKind kind = LegKind::kNone;
    io::LegId leg = 0;
    io::LegOptions rtp_options;            // how the RTP leg was opened, remote and latching kept current
    io::LegId rtcp_leg = 0;                // a separate RTCP leg (no rtcp-mux); 0: none
    int port = 0;
    int rtcp_port = 0;
    std::optional<int> remote_rtcp_port;   // the peer's RTCP port when not RTP port + 1
  };
  struct ConferenceRecord {
    ConferenceJob* job = nullptr;  // owned by the media thread until RemoveJob
    io::JobId job_id = 0;
    int rate = 0;
    int interval_ms = 0;
    std::unordered_map<uint32_t, MemberRecord> members;
    std::unordered_map<uint32_t, bool> playbacks;  // playing (until its done event): conference-wide
    std::unordered_map<uint32_t, bool> recordings; // running (until its done or failed event)
  };
  struct LegOwner {
    uint32_t conference = 0;
    uint32_t member = 0;
  };

  Status Ready() const;
  Status Find(uint32_t handle, ConferenceRecord** out);
  Status Find(uint32_t handle, uint32_t member, ConferenceRecord** conference, MemberRecord** out);
  Status CheckMedia(const MemberMediaConfig& media, const ConferenceRecord& conference) const;
  Status OpenRtpLegs(const MemberLegSpec& leg, MemberRecord* record);
  Status OpenRtcpLeg(const io::LegOptions& rtp_options, std::optional<int> remote_rtcp_port, io::LegInfo* opened);
  void CloseLegs(const MemberRecord& record);
  static MemberLegInfo InfoOf(const MemberRecord& record);

  io::MediaThread thread_;
  ShardOutbox outbox_;
  bool stopped_ = false;
  std::string cname_;  // every RTCP report of this shard carries it
  std::unordered_map<uint32_t, ConferenceRecord> conferences_;
  std::unordered_map<io::LegId, LegOwner> leg_owners_;
  std::vector<io::MediaEvent> media_events_;
};

}  // namespace confmix::shard
