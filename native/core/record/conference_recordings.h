// A conference's recordings: what each track takes from a tick, and the events of their lives.
//
// A track records one of: the conference's mix as a listener who hears every member at listen
// level 0 hears it (comfort noise included, exactly a level-0 listener's frame); what one member
// hears (its output frame); or what one member says (what it put into the mix, after its gate and
// talk gain; silence while it did not contribute). A recording has one or more tracks (one per
// member for multitrack), all fed from the same ticks, so their files stay aligned frame for
// frame; a track whose member has left records silence.
// Capture() runs on the tick right after the mix; Poll() turns each recording's progress into
// started, done and failed events and forgets the ended ones.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mix/conference.h"
#include "core/record/recorder.h"
#include "core/status.h"

namespace confmix::record {

/** What a track records. */
enum class TrackSource : uint8_t {
  kMix = 0,    // the whole conference, as a listener hearing everyone
  kHears = 1,  // what `member` hears
  kSays = 2,   // what `member` puts into the mix
};

/** One file of a recording. */
struct TrackSpec {
  TrackSource source = TrackSource::kMix;
  uint32_t member = 0;  // kHears, kSays
  std::string path;
};

/** How a recording is made. */
struct RecordingSpec {
  uint32_t id = 0;
  RecordingFormat format = RecordingFormat::kWav;
  int opus_bitrate = 0;   // bit/s for Ogg Opus, 6000..510000; 0: libopus's choice
  int buffer_ms = 2000;   // each track's ring: how far the disk may fall behind, 200..60000 ms
  std::vector<TrackSpec> tracks;
};

/** Most tracks one recording has (a multitrack recording of a large room). */
constexpr size_t kMaxRecordingTracks = 256;
/** Most recordings one conference runs at once. */
constexpr size_t kMaxRecordings = 16;

/** What happened to a recording. */
enum class RecordingEventKind : uint8_t { kStarted = 0, kDone = 1, kFailed = 2 };

/** Stable name of a kind: "started", "done", "failed". */
const char* RecordingEventKindName(RecordingEventKind kind);

/** One event of a recording. */
struct RecordingEvent {
  uint32_t recording = 0;
  RecordingEventKind kind = RecordingEventKind::kStarted;
  WriteError failure;                 // kFailed
  uint64_t frames = 0;                // frames written to each track (kDone, kFailed)
  double duration_ms = 0;             // frames x interval
  std::vector<uint64_t> track_bytes;  // each file's size (kDone, kFailed)
};

class ConferenceRecordings {
 public:
  /** Checks a recording's spec against the conference (members must be in it) without starting it. */
  static Status Validate(const RecordingSpec& spec, const Conference& mixer);

  /** Starts a recording from the next tick: its writer thread opens the files. Allocates. */
  Status Start(const RecordingSpec& spec, Conference& mixer);
  /** Stops one: the frames already taken are written, then it ends with a done event. */
  Status Stop(uint32_t id, Conference& mixer);
  /** Tick, right after the mix: each recording's frame of every track. Never allocates. */
  void Capture(const Conference& mixer);
  /** After Capture: the events of this tick, appended to `out`; ended recordings are forgotten. */
  void Poll(Conference& mixer, std::vector<RecordingEvent>* out);
  /** Recordings not yet ended. */
  size_t size() const { return active_.size(); }

 private:
  struct Active {
    RecordingSpec spec;
    std::unique_ptr<Recorder> recorder;
    bool started_reported = false;
    bool ended = false;  // its last event was raised
  };
  // Whether the mixer renders a listener's frame: while some recording takes the mix.
  void UpdateListener(Conference& mixer) const;

  std::vector<Active> active_;
};

}  // namespace confmix::record
