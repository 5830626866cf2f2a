// A conference with media: members' RTP receive and send paths (or app PCM) around the mixing
// core, and one shared encode per output group and encoding per tick.
//
// Tick(): for each member, its receive path fills its input frame (no decode when its input is
// muted or held; while its gate is closed, none for payloads its sender marks unvoiced but a
// probe every 200 ms); Mix(); then each member's output is encoded (its own encode when it heard a
// private mix, else its group's shared encode) and packetized with its own header.
// ServiceRtcp(), after the tick, sends the RTCP reports that are due (members with a session).
// Each tick first feeds the media thread's load to a ComplexityGovernor; when its shed level
// changes, every Opus encoder the conference owns (private and shared) moves to its configured
// complexity minus the shed level, and encoders made later start there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dsp/voice_processor.h"
#include "core/media/complexity_governor.h"
#include "core/media/media_receiver.h"
#include "core/media/media_sender.h"
#include "core/media/rtcp_session.h"
#include "core/mix/conference.h"
#include "core/record/conference_recordings.h"

namespace confmix {

/** A member's media: a receive path, a send path, either, or neither (app legs feed PCM). */
struct MemberMediaConfig {
  std::optional<ReceiverConfig> receive;  // conference_rate and interval_ms are filled in
  std::optional<SenderConfig> send;       // likewise
  bool app = false;                       // PCM in and out at the conference rate (app legs)
  std::optional<RtcpSessionConfig> rtcp;  // an RTCP session (RTP legs); kept across UpdateMedia
};

/** How a conference's media behaves, beyond the mixer's options. */
struct MediaConferenceOptions {
  bool adaptive_complexity = true;  // shed encoder complexity when the media thread is loaded
  bool parallel_codecs = true;      // spread a tick's Opus decodes and encodes over the worker pool
  bool skip_unvoiced = true;        // while a member's gate is closed, skip payloads its sender marks unvoiced
};

/** Where a tick's output goes. */
class MediaOutput {
 public:
  virtual ~MediaOutput() = default;
  /** One RTP packet for a member (valid during the call). */
  virtual void OnPacket(uint32_t member, const uint8_t* data, size_t size) = 0;
  /** One output frame at the conference rate for an app member (valid during the call). */
  virtual void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) = 0;
  /** One compound RTCP packet for a member's RTCP path (valid during the call). */
  virtual void OnRtcp(uint32_t /*member*/, const uint8_t* /*data*/, size_t /*size*/) {}
  /** A fresh snapshot of a member's RTCP figures (valid during the call). */
  virtual void OnRtcpStats(uint32_t /*member*/, const RtcpSessionStats& /*stats*/) {}
  /** The member's peer ended its stream with an RTCP BYE; `reason` may be empty. */
  virtual void OnRtcpBye(uint32_t /*member*/, std::string_view /*reason*/) {}
  /** A recording started, ended or failed this tick (valid during the call). */
  virtual void OnRecording(const record::RecordingEvent& /*event*/) {}
};

/** What the last tick did. */
struct MediaTickStats {
  uint32_t decodes = 0;  // decoder calls this tick
  uint32_t unvoiced_skips = 0;  // payloads not decoded this tick because the sender marked them unvoiced
  uint32_t level_skips = 0;     // payloads not decoded this tick: their RFC 6464 level missed the active talkers' cut
  uint32_t quiet_skips = 0;     // voiced payloads not decoded this tick: their member stayed quiet (DecodePolicy::kQuiet)
  uint32_t encodes = 0;  // encoder calls this tick
  uint32_t packets = 0;  // packets written this tick
  int complexity_shed = 0;  // steps subtracted from each encoder's configured complexity
};

class MediaConference {
 public:
  /** Builds one, or returns null and sets `status`. */
  static std::unique_ptr<MediaConference> Create(const ConferenceOptions& options, Status* status,
                                                 const MediaConferenceOptions& media = {});

  /** The mixing core (settings, playbacks, events). */
  Conference& mixer() { return *mixer_; }
  const Conference& mixer() const { return *mixer_; }

  /** Adds a member with its media. Allocates; on failure nothing changes and `error` says why. */
  Status AddMember(uint32_t id, const MemberUpdate& initial, MemberMediaConfig media, std::string* error);
  /** Removes a member and its media. */
  Status RemoveMember(uint32_t id);
  /** Replaces a member's receive and/or send path (a re-negotiation). */
  Status UpdateMedia(uint32_t id, const MemberMediaConfig& media, std::string* error);

  /** One datagram for a member (media thread). An RFC 4733 key is pressed at once; muxed RTCP
   *  goes to the member's RTCP session (valid when well-formed). */
  ReceiveResult OnDatagram(uint32_t id, const uint8_t* data, size_t size, double arrival_ms);
  /** One datagram from a member's separate RTCP port; valid when it is well-formed RTCP. */
  ReceiveResult OnRtcpDatagram(uint32_t id, const uint8_t* data, size_t size, double arrival_ms);
  /** Conference-rate PCM from an app member, buffered up to 500 ms (older audio is dropped). */
  Status PushAppPcm(uint32_t id, const int16_t* pcm, size_t samples);

  /** One tick; `thread_load` is the media thread's busy share (0..1) that drives shedding. */
  void Tick(MediaOutput& output, double thread_load = 0);
  /** After a tick: sends each RTCP report due at `now_ms` (monotonic), reports BYEs, and
   *  publishes the RTCP figures that changed (all of them with `publish_all`). */
  void ServiceRtcp(double now_ms, bool publish_all, MediaOutput& output);

  /** Turns a member's voice processing on (options) or off (empty); it runs on each frame its
   *  receive path or app leg produces, before the energy score (muted input is never produced). */
  Status SetVoiceProcessing(uint32_t id, const std::optional<VoiceOptions>& options);

  /** Starts a recording from the next tick (see core/record/conference_recordings.h). */
  Status StartRecording(const record::RecordingSpec& spec) { return recordings_.Start(spec, *mixer_); }
  /** Stops a recording: it ends with a done event once its frames are written. */
  Status StopRecording(uint32_t id) { return recordings_.Stop(id, *mixer_); }
  /** Recordings not yet ended. */
  size_t recording_count() const { return recordings_.size(); }

  /** With false, every listener gets its own encode (the benchmark's baseline). */
  void set_shared_encodes(bool shared) { shared_encodes_ = shared; }
  /** The last tick's counts. */
  const MediaTickStats& last_tick() const { return last_tick_; }
  /** Steps subtracted from each encoder's configured complexity now (0: full quality). */
  int complexity_shed() const { return governor_.shed(); }
  /** False when the conference was built with adaptive_complexity off. */
  bool adaptive_complexity() const { return governor_.enabled(); }
  /** The shared encoder of output group `group` (0..kOutputGroupCount-1) for a member's
   *  encoding, or null (no send path, or `group` out of range). */
  const FrameEncoder* shared_encoder(uint32_t id, int group) const;
  /** A member's receive path, or null. */
  const MediaReceiver* receiver(uint32_t id) const;
  /** A member's send path, or null. */
  const MediaSender* sender(uint32_t id) const;
  /** A member's RTCP session, or null. */
  const RtcpSession* rtcp(uint32_t id) const;
  /** A member's RTCP session to adjust (media thread), or null. */
  RtcpSession* mutable_rtcp(uint32_t id);

 private:
  struct MemberMedia {
    Member* member = nullptr;
    std::unique_ptr<MediaReceiver> receiver;
    std::unique_ptr<MediaSender> sender;
    std::unique_ptr<RtcpSession> rtcp;
    int encoding = -1;  // index into encodings_ of the sender's codec
    int last_shared_group = -1;  // the shared group whose encode the member's stream was last tick
    bool app = false;
    std::vector<int16_t> app_fifo;  // app input at the conference rate
    size_t app_fifo_used = 0;
    uint32_t tick_decodes = 0;               // this tick's decodes (summed after the parallel phase)
    uint32_t tick_unvoiced_skips = 0;        // likewise, its unvoiced skips
    uint32_t tick_level_skips = 0;           // and its skips below the level cut
    uint32_t tick_quiet_skips = 0;           // and its quiet skips
    bool tick_audio = false;                 // this tick's frame was decoded audio
    uint32_t quiet_run = 0;                  // its decoded frames in a row that scored quiet (Member::quiet)
    bool below_cut = false;                  // this tick: its RFC 6464 level missed the cut
    FrameEncoder* tick_encoder = nullptr;    // the encoder whose payload it sends this tick
    std::unique_ptr<VoiceProcessor> voice;   // noise suppression and AGC, when on
  };
  // One encode of a tick: independent of every other, so encodes may run on several threads.
  struct EncodeTask {
    FrameEncoder* encoder;
    const int16_t* frame;
  };
  // Decoded frames in a row a member must score quiet before it is decoded sparingly
  // (DecodePolicy::kQuiet).
  static constexpr uint32_t kQuietRunFrames = 10;
  // Fewer Opus calls than this run on the media thread alone: a helper's wake-up would cost more.
  static constexpr size_t kMinParallelCodecTasks = 4;
  // A room of cheap codecs (G.711, L16) this big spreads its members' receive paths over the
  // pool, in blocks this long.
  static constexpr size_t kMinParallelProduceMembers = 512;
  static constexpr size_t kProduceBlockMembers = 64;
  // One encoding in use, with a shared encoder per output group.
  struct Encoding {
    CodecParams codec;
    int users = 0;
    std::vector<std::unique_ptr<FrameEncoder>> groups;  // kOutputGroupCount entries
    std::vector<uint64_t> encoded_tick;                 // tick each group last encoded, +1
  };

  MediaConference(std::unique_ptr<Conference> mixer, const MediaConferenceOptions& options);
  Status BuildMedia(const MemberMediaConfig& media, MemberMedia* out, std::string* error);
  MemberMedia* Find(uint32_t id) const;
  int AcquireEncoding(const CodecParams& codec, std::string* error);
  void ReleaseEncoding(int index);
  bool InputMixable(const Member& member) const;
  // Marks a member's produced frame as this tick's input, after its voice processing (`process`).
  static void Commit(MemberMedia& media, bool process);
  // With a cap of K active talkers: marks the members whose RFC 6464 level this tick is below
  // the K loudest reported levels (and who did not contribute last tick), so they are not decoded.
  void MarkBelowLevelCut();
  static bool IsOpusReceiver(const MemberMedia& media);
  void ApplyComplexity(FrameEncoder& encoder) const;
  void ApplyComplexityToAll();
  void UpdateMaxShed();
  static bool SenderState(const MemberMedia& media, RtcpSenderState* out);
  bool HandleRtcp(MemberMedia& media, const uint8_t* data, size_t size, double arrival_ms);

  std::unique_ptr<Conference> mixer_;
  std::vector<std::unique_ptr<MemberMedia>> members_;  // tick order
  std::unordered_map<uint32_t, size_t> index_;          // id -> position in members_
  std::vector<Encoding> encodings_;
  std::vector<uint8_t> packet_;
  std::vector<uint8_t> rtcp_packet_;  // one report, built after the tick
  std::vector<EncodeTask> encode_tasks_;  // this tick's encodes (capacity kept)
  std::vector<std::pair<int, size_t>> level_ranks_;  // (level -dBov, member index) this tick (capacity kept)
  size_t opus_receivers_ = 0;             // members whose receive path decodes Opus
  bool shared_encodes_ = true;
  bool parallel_codecs_ = true;
  bool skip_unvoiced_ = true;
  uint64_t ticks_ = 0;
  record::ConferenceRecordings recordings_;
  std::vector<record::RecordingEvent> recording_events_;  // this tick's (capacity kept)
  MediaTickStats last_tick_;
  ComplexityGovernor governor_;
};

}  // namespace confmix
