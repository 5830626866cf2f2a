// Codec-inclusive media throughput: the CPU one conference's native media work costs per
// participant, with RTP in (parse, jitter buffer), decode, resample, mix, shared encodes and
// RTP headers out. Prints one JSON line for bench/media/index.ts to tabulate.
//
// Scenario: one conference of N members, 20 ms ticks, every member sends a packet every tick
// and receives one. 10% talk (speech-like audio); the rest send, by variant, PCMU background
// noise (pcmu), Opus DTX frames (opus-dtx) or Opus background noise at -60 dBFS, under the gate
// (opus-noise). Opus listeners' encoders mark those frames unvoiced, so while their gate is
// closed they are not decoded, but for one probe per 200 ms. Every payload is encoded once
// before timing and replayed with running sequence numbers and timestamps; packets are built
// between timed batches. Socket I/O is not part of the figure. Time is the thread's CPU time, so
// the figure is per core.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/codec/codec_factory.h"
#include "core/codec/opus_codec.h"
#include "core/media/media_conference.h"
#include "input_streams.h"

namespace {

using confmix::CodecKind;
using confmix::CodecParams;
using confmix::MediaConference;
using confmix::bench::MemberStream;
using confmix::bench::PacketBatch;
using confmix::bench::PayloadLoop;

constexpr int kIntervalMs = 20;
constexpr double kTalkingShare = 0.10;
constexpr double kLoopSeconds = 4.0;             // length of each pre-encoded input loop
constexpr double kBackgroundDbfs = -60.0;        // listeners' noise: under the gate's threshold
constexpr int kWarmupTicks = 50;                 // jitter buffers prefill, gates open, codecs settle
constexpr int kSharedOffWarmupTicks = 5;         // members' own encoders settle
constexpr size_t kBatchTicks = 5;                // packets built between timed batches
constexpr uint64_t kMinTimedTicksFloor = 10;     // even when a batch runs past the time cap

double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "media bench: %s\n", why.c_str());
  std::exit(1);
}

/** A benchmark variant: the conference rate, the codec everyone uses, and what members send. */
struct Variant {
  std::string name;
  int rate;
  CodecParams codec;
  PayloadLoop talker_loop;
  PayloadLoop listener_loop;
};

// `rate` 0 keeps the variant's own conference rate (PCMU 8 kHz, Opus 48 kHz). The peers' payloads
// are the same either way: Opus peers encode fullband speech at 48 kHz.
Variant MakeVariant(const std::string& name, int rate) {
  Variant v;
  v.name = name;
  std::string error;
  if (name == "pcmu") {
    v.rate = 8000;
    v.codec.kind = CodecKind::kPcmu;
    v.codec.payload_type = 0;
    v.codec.clock_rate = 8000;
    if (!EncodeLoop(v.codec, confmix::bench::SpeechLikeSignal(8000, kLoopSeconds, 1), kIntervalMs, 0,
                    &v.talker_loop, &error) ||
        !EncodeLoop(v.codec, confmix::bench::NoiseSignal(8000, kLoopSeconds, kBackgroundDbfs, 2), kIntervalMs, 0,
                    &v.listener_loop, &error))
      Die(error);
    if (rate) v.rate = rate;
    return v;
  }
  if (name != "opus-dtx" && name != "opus-noise") Die("unknown variant " + name + " (pcmu, opus-dtx, opus-noise)");
  v.rate = 48000;
  v.codec.kind = CodecKind::kOpus;
  v.codec.payload_type = 111;
  v.codec.clock_rate = 48000;
  v.codec.channels = 1;
  if (!EncodeLoop(v.codec, confmix::bench::SpeechLikeSignal(48000, kLoopSeconds, 1), kIntervalMs, 0,
                  &v.talker_loop, &error))
    Die(error);
  if (name == "opus-dtx") {
    // Silence with DTX: once libopus enters DTX its frames are 1 byte (a TOC only), with a
    // refresh now and then; the loop starts at the first DTX frame.
    CodecParams dtx = v.codec;
    dtx.dtx = true;
    PayloadLoop all;
    if (!EncodeLoop(dtx, confmix::bench::SilenceSignal(48000, kLoopSeconds), kIntervalMs, 0, &all, &error))
      Die(error);
    const size_t first = FirstSmallPayload(all, 2);
    if (first == all.payloads.size()) Die("libopus produced no DTX frame from silence");
    v.listener_loop.payloads.assign(all.payloads.begin() + static_cast<long>(first), all.payloads.end());
  } else {
    if (!EncodeLoop(v.codec, confmix::bench::NoiseSignal(48000, kLoopSeconds, kBackgroundDbfs, 2), kIntervalMs, 0,
                    &v.listener_loop, &error))
      Die(error);
  }
  if (rate) v.rate = rate;
  return v;
}

/** What one codec call costs alone (one codec state, warm caches): the floor under the figures. */
struct CodecCosts {
  double talker_decode_us = 0.0;    // one talker payload
  double listener_decode_us = 0.0;  // one listener payload that is decoded (not DTX)
  double encode_us = 0.0;           // one mix frame (speech) at the conference rate
  double voice_us = 0.0;            // one frame of speech through noise suppression and AGC
};

// Mean microseconds of `call` over `count` calls, repeated until 0.1 s of CPU have passed.
template <typename Call>
double MicrosPerCall(size_t count, Call call) {
  size_t calls = 0;
  const double start = ThreadSeconds();
  double elapsed = 0.0;
  do {
    for (size_t i = 0; i < count; ++i) call(i);
    calls += count;
    elapsed = ThreadSeconds() - start;
  } while (elapsed < 0.1);
  return elapsed * 1e6 / static_cast<double>(calls);
}

CodecCosts MeasureCodecCosts(const Variant& variant) {
  CodecCosts costs;
  std::string error;
  // Decoded as a member would be: Opus straight at the conference rate when libopus can.
  auto decoder = confmix::CreateDecoder(confmix::AtConferenceRate(variant.codec, variant.rate), &error);
  auto encoder = confmix::FrameEncoder::Create(variant.codec, variant.rate, kIntervalMs, &error);
  if (!decoder || !encoder) Die(error);
  std::vector<int16_t> pcm(confmix::kOpusMaxPacketSamples);
  const auto decode_all = [&](const PayloadLoop& loop) {
    std::vector<const std::vector<uint8_t>*> decoded;  // DTX frames are never decoded
    for (const auto& p : loop.payloads)
      if (!decoder->IsDtx(p.data(), p.size())) decoded.push_back(&p);
    if (decoded.empty()) return 0.0;
    return MicrosPerCall(decoded.size(), [&](size_t i) {
      decoder->Decode(decoded[i]->data(), decoded[i]->size(), pcm.data(), pcm.size());
    });
  };
  costs.talker_decode_us = decode_all(variant.talker_loop);
  costs.listener_decode_us = decode_all(variant.listener_loop);
  const std::vector<int16_t> speech = confmix::bench::SpeechLikeSignal(variant.rate, 1.0, 3);
  const size_t frame = confmix::FrameSamples(variant.rate, kIntervalMs);
  costs.encode_us = MicrosPerCall(speech.size() / frame, [&](size_t i) { encoder->Encode(speech.data() + i * frame); });
  confmix::VoiceProcessor voice(variant.rate, frame, confmix::VoiceOptions{});
  std::vector<int16_t> work(speech);
  costs.voice_us = MicrosPerCall(work.size() / frame, [&](size_t i) { voice.Process(work.data() + i * frame); });
  return costs;
}

/** Counts what a tick sends; the bytes go nowhere. */
class CountingOutput final : public confmix::MediaOutput {
 public:
  void OnPacket(uint32_t member, const uint8_t* data, size_t size) override {
    (void)member;
    (void)data;
    packets++;
    bytes += size;
  }
  void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) override {
    (void)member;
    (void)pcm;
    (void)samples;
  }
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

/** Totals of one timed phase. */
struct Phase {
  double cpu_seconds = 0.0;
  uint64_t ticks = 0;
  uint64_t encodes = 0;
  uint64_t decodes = 0;         // decoder calls: probes and pre-rolls included
  uint64_t unvoiced_skips = 0;  // payloads not decoded because their sender marked them unvoiced
  uint64_t packets_out = 0;
  uint64_t bytes_out = 0;
  size_t mixed_talkers = 0;    // talkers in the mix after the phase's last tick
  size_t mixed_listeners = 0;  // listeners in the mix after the phase's last tick (should be 0)
};

/** When a timed phase may stop. */
struct Limits {
  uint64_t min_ticks;   // at least this many ticks...
  double min_seconds;   // ...and this much CPU time,
  double max_seconds;   // unless this much CPU time has passed first
};

/** One conference of N members with its input streams. */
class Run {
 public:
  Run(const Variant& variant, size_t members) : members_(members) {
    confmix::ConferenceOptions options;
    options.rate = variant.rate;
    options.interval_ms = kIntervalMs;
    options.max_active_talkers = 0;  // the scenario mixes every talker (10%), as the report checks
    confmix::Status status;
    // CPU is read on this thread: every codec call must run on it (no worker pool), and no tick
    // load is passed, so complexity never sheds.
    confmix::MediaConferenceOptions media;
    media.parallel_codecs = false;
    conference_ = MediaConference::Create(options, &status, media);
    if (!conference_) Die(std::string("conference: ") + status.message);
    const size_t talkers = static_cast<size_t>(static_cast<double>(members) * kTalkingShare + 0.5);
    size_t max_payload = 0;
    for (const PayloadLoop* loop : {&variant.talker_loop, &variant.listener_loop})
      for (const auto& p : loop->payloads) max_payload = std::max(max_payload, p.size());
    const auto rtp_samples = static_cast<uint32_t>(confmix::FrameSamples(variant.codec.clock_rate, kIntervalMs));
    streams_.reserve(members);
    for (size_t i = 0; i < members; ++i) {
      const bool talker = (i * talkers) / members != ((i + 1) * talkers) / members;  // evenly spread
      talker_.push_back(talker);
      confmix::MemberMediaConfig media;
      media.receive.emplace();
      media.receive->codec = variant.codec;
      media.send.emplace();
      media.send->codec = variant.codec;
      const auto id = static_cast<uint32_t>(i + 1);
      std::string error;
      const confmix::Status added = conference_->AddMember(id, {}, media, &error);
      if (!added.ok()) Die("member " + std::to_string(id) + ": " + added.message + " " + error);
      ids_.push_back(id);
      confmix::rtp::RtpSenderOptions rtp;
      rtp.payload_type = static_cast<uint8_t>(variant.codec.payload_type);
      rtp.clock_rate = static_cast<uint32_t>(variant.codec.clock_rate);
      rtp.has_ssrc = true;
      rtp.ssrc = 0x10000u + id;
      rtp.has_sequence = true;
      rtp.sequence = static_cast<uint16_t>(id * 7919u);
      rtp.has_timestamp = true;
      rtp.timestamp = id * 123457u;
      const PayloadLoop* loop = talker ? &variant.talker_loop : &variant.listener_loop;
      streams_.emplace_back(loop, (i * 37) % loop->payloads.size(), rtp, rtp_samples);
    }
    batch_ = std::make_unique<PacketBatch>(members, kBatchTicks, max_payload);
  }

  /** Ticks `count` times untimed. */
  void Warm(int count) {
    Phase ignored;
    while (count > 0) {
      RunBatch(&ignored);
      count -= static_cast<int>(kBatchTicks);
    }
  }

  /** Ticks in timed batches until `limits` are met. */
  Phase Measure(const Limits& limits) {
    Phase phase;
    for (;;) {
      RunBatch(&phase);
      const bool enough = phase.ticks >= limits.min_ticks && phase.cpu_seconds >= limits.min_seconds;
      const bool capped = phase.cpu_seconds >= limits.max_seconds && phase.ticks >= kMinTimedTicksFloor;
      if (enough || capped) break;
    }
    for (size_t i = 0; i < members_; ++i) {
      if (!conference_->mixer().FindMember(ids_[i])->contributed()) continue;
      (talker_[i] ? phase.mixed_talkers : phase.mixed_listeners)++;
    }
    return phase;
  }

  MediaConference& conference() { return *conference_; }

  // Every member's voice processing on (defaults) or off.
  void SetVoice(bool on) {
    std::optional<confmix::VoiceOptions> options;
    if (on) options = confmix::VoiceOptions{};
    for (uint32_t id : ids_)
      if (!conference_->SetVoiceProcessing(id, options).ok()) Die("voice processing refused");
  }

 private:
  // Builds the next batch of packets (untimed), then times its ticks.
  void RunBatch(Phase* phase) {
    batch_->Build(streams_, tick_);
    CountingOutput output;
    uint64_t encodes = 0, decodes = 0, unvoiced_skips = 0;
    confmix::MixerEvent event;
    const double start = ThreadSeconds();
    for (size_t k = 0; k < kBatchTicks; ++k) {
      const double arrival_ms = static_cast<double>((tick_ + k) * kIntervalMs);
      for (size_t m = 0; m < members_; ++m) {
        size_t size = 0;
        const uint8_t* packet = batch_->packet(k, m, &size);
        conference_->OnDatagram(ids_[m], packet, size, arrival_ms);
      }
      conference_->Tick(output);
      while (conference_->mixer().PopEvent(&event)) {
      }
      encodes += conference_->last_tick().encodes;
      decodes += conference_->last_tick().decodes;
      unvoiced_skips += conference_->last_tick().unvoiced_skips;
    }
    phase->cpu_seconds += ThreadSeconds() - start;
    tick_ += kBatchTicks;
    phase->ticks += kBatchTicks;
    phase->encodes += encodes;
    phase->decodes += decodes;
    phase->unvoiced_skips += unvoiced_skips;
    phase->packets_out += output.packets;
    phase->bytes_out += output.bytes;
  }

  size_t members_;
  std::unique_ptr<MediaConference> conference_;
  std::vector<uint32_t> ids_;
  std::vector<bool> talker_;
  std::vector<MemberStream> streams_;
  std::unique_ptr<PacketBatch> batch_;
  uint64_t tick_ = 0;
};

std::string RunOne(const Variant& variant, const CodecCosts& costs, size_t members, const Limits& limits,
                   bool shared_off) {
  Run run(variant, members);
  run.Warm(kWarmupTicks);
  const Phase shared = run.Measure(limits);
  // Voice processing on for every member (a conference's opt-in): only frames a member produces
  // are processed, so its cost follows the decodes.
  run.SetVoice(true);
  run.Warm(kSharedOffWarmupTicks);
  const Phase voice = run.Measure(limits);
  run.SetVoice(false);
  Phase unshared;  // the baseline: every member encoded on its own
  if (shared_off) {
    run.conference().set_shared_encodes(false);
    run.Warm(kSharedOffWarmupTicks);
    unshared = run.Measure(limits);
  }

  const double n = static_cast<double>(members);
  const double audio_seconds = static_cast<double>(shared.ticks) * kIntervalMs / 1000.0;
  const double cpu_share = shared.cpu_seconds / audio_seconds;  // cores busy
  const double us_per_tick = shared.cpu_seconds * 1e6 / static_cast<double>(shared.ticks);
  const double off_us_per_tick = shared_off ? unshared.cpu_seconds * 1e6 / static_cast<double>(unshared.ticks) : 0.0;
  const auto per_tick = [](uint64_t count, const Phase& p) {
    return p.ticks ? static_cast<double>(count) / static_cast<double>(p.ticks) : 0.0;
  };
  const double voice_us_per_tick = voice.cpu_seconds * 1e6 / static_cast<double>(voice.ticks);
  const double processed_per_tick = per_tick(voice.decodes, voice);  // frames produced, so processed
  char line[1400];
  std::snprintf(line, sizeof line,
                "{\"variant\":\"%s\",\"rate\":%d,\"members\":%zu,\"ticks\":%llu,\"cpuSeconds\":%.4f,\"usPerTick\":%.1f,"
                "\"usPerParticipantSecond\":%.3f,\"cpuPctPerParticipant\":%.6f,\"encodesPerTick\":%.2f,"
                "\"decodesPerTick\":%.2f,\"packetsOutPerTick\":%.1f,\"bytesOutPerTick\":%.0f,"
                "\"mixedTalkers\":%zu,\"mixedListeners\":%zu,\"sharedOffTicks\":%llu,\"sharedOffUsPerTick\":%.1f,"
                "\"sharedOffEncodesPerTick\":%.2f,\"sharedOffRatio\":%.3f,\"talkerPayloadBytes\":%.1f,"
                "\"listenerPayloadBytes\":%.1f,\"talkerDecodeUs\":%.2f,\"listenerDecodeUs\":%.2f,\"encodeUs\":%.2f,"
                "\"unvoicedSkipsPerTick\":%.2f,\"voiceUsPerTick\":%.1f,\"voiceProcessedPerTick\":%.2f,"
                "\"voiceUsPerProcessedMember\":%.2f,\"usPerMember\":%.2f,\"voiceUs\":%.2f}",
                variant.name.c_str(), variant.rate, members, static_cast<unsigned long long>(shared.ticks), shared.cpu_seconds,
                us_per_tick, cpu_share / n * 1e6, cpu_share / n * 100.0, per_tick(shared.encodes, shared),
                per_tick(shared.decodes, shared), per_tick(shared.packets_out, shared),
                per_tick(shared.bytes_out, shared), shared.mixed_talkers, shared.mixed_listeners,
                static_cast<unsigned long long>(unshared.ticks), off_us_per_tick,
                per_tick(unshared.encodes, unshared), off_us_per_tick / us_per_tick, variant.talker_loop.MeanBytes(),
                variant.listener_loop.MeanBytes(), costs.talker_decode_us, costs.listener_decode_us, costs.encode_us,
                per_tick(shared.unvoiced_skips, shared), voice_us_per_tick, processed_per_tick,
                processed_per_tick > 0 ? (voice_us_per_tick - us_per_tick) / processed_per_tick : 0.0, us_per_tick / n,
                costs.voice_us);
  return line;
}

std::vector<std::string> SplitList(const char* text) {
  std::vector<std::string> items;
  std::string item;
  for (const char* p = text;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!item.empty()) items.push_back(item);
      item.clear();
      if (*p == '\0') break;
    } else {
      item.push_back(*p);
    }
  }
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> variants = {"pcmu", "opus-dtx", "opus-noise"};
  std::vector<size_t> sizes = {100, 500, 1000};
  Limits limits{200, 0.5, 2.0};
  bool shared_off = true;
  int rate = 0;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Die("flag " + flag + " needs a value");
    const char* value = argv[i + 1];
    if (flag == "--variants") {
      variants = SplitList(value);
    } else if (flag == "--members") {
      sizes.clear();
      for (const std::string& s : SplitList(value)) sizes.push_back(std::strtoul(s.c_str(), nullptr, 10));
    } else if (flag == "--seconds") {
      limits.max_seconds = std::strtod(value, nullptr);
      limits.min_seconds = std::min(limits.min_seconds, limits.max_seconds);
    } else if (flag == "--shared-off") {
      shared_off = std::string(value) != "no";
    } else if (flag == "--rate") {
      rate = std::atoi(value);
      if (!confmix::IsSupportedRate(rate)) Die("rate must be 8000, 16000, 24000, 32000 or 48000");
    } else if (flag == "--ticks") {
      limits.min_ticks = std::strtoull(value, nullptr, 10);
    } else {
      Die("unknown flag " + flag + " (use --variants pcmu,opus-dtx,opus-noise --members 100,500 --seconds S --ticks T --shared-off yes|no --rate R)");
    }
  }
  if (variants.empty() || sizes.empty()) Die("no variant or member count given");
  for (size_t n : sizes)
    if (n < 10 || n > confmix::kMaxMembers) Die("members must be 10.." + std::to_string(confmix::kMaxMembers));
  if (!(limits.max_seconds > 0.0) || limits.min_ticks < 1) Die("seconds must be > 0 and ticks >= 1");

  std::string out = "[";
  bool first = true;
  for (const std::string& name : variants) {
    const Variant variant = MakeVariant(name, rate);  // every payload encoded here, before any timing
    const CodecCosts costs = MeasureCodecCosts(variant);
    for (size_t n : sizes) {
      std::fprintf(stderr, "media bench: %s, %zu members...\n", name.c_str(), n);
      out += (first ? "" : ",") + RunOne(variant, costs, n, limits, shared_off);
      first = false;
    }
  }
  std::printf("%s]\n", out.c_str());
  return 0;
}
