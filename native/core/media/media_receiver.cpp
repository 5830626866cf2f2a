#include "core/media/media_receiver.h"

#include <algorithm>
#include <cstring>

#include "core/codec/codec_factory.h"
#include "core/frame.h"
#include "core/rtp/audio_level.h"

namespace confmix {

const char* ReceiveRejectName(ReceiveReject reason) {
  switch (reason) {
    case ReceiveReject::kMalformed: return "malformed";
    case ReceiveReject::kWrongPayloadType: return "wrong-payload-type";
    case ReceiveReject::kJitterRefused: return "jitter-refused";
    case ReceiveReject::kTooBig: return "too-big";
    case ReceiveReject::kCount: break;
  }
  return "unknown";
}

namespace {
// Longest packet we take (60 ms at 48 kHz) plus the longest tick: the FIFO never overflows.
constexpr size_t kFifoSamples = 48 * 60 * 2 + 48 * 60;
}  // namespace

std::unique_ptr<MediaReceiver> MediaReceiver::Create(const ReceiverConfig& config, std::string* error) {
  auto fail = [&](const std::string& why) -> std::unique_ptr<MediaReceiver> {
    if (error) *error = why;
    return nullptr;
  };
  if (!IsSupportedRate(config.conference_rate)) return fail("unsupported conference rate");
  if (!IsSupportedIntervalMs(config.interval_ms)) return fail("unsupported interval");
  if (config.telephone_event_pt >= 0 &&
      (config.telephone_event_pt > 127 || config.telephone_event_pt == config.codec.payload_type))
    return fail("telephone-event payload type must be 0..127 and differ from the codec's");
  if (config.audio_level_id < 0 || config.audio_level_id > rtp::kMaxHeaderExtensionId)
    return fail("audio level extension id must be 1..255, or 0 for none");
  if (config.telephone_event_pt >= 0 && config.telephone_event_clock != 8000 &&
      config.telephone_event_clock != 16000 && config.telephone_event_clock != 48000)
    return fail("telephone-event clock rate must be 8000, 16000 or 48000");
  // Opus decodes straight to the conference rate when libopus can: no resampler then.
  ReceiverConfig resolved = config;
  resolved.codec = AtConferenceRate(config.codec, config.conference_rate);
  std::string why;
  auto decoder = CreateDecoder(resolved.codec, &why);
  if (!decoder) return fail(why);
  if (!IsResamplerRate(decoder->rate())) return fail("codec rate cannot be resampled");
  rtp::JitterBufferConfig jb;
  jb.clock_rate = static_cast<uint32_t>(config.codec.clock_rate);
  jb.frame_samples = static_cast<uint32_t>(config.codec.clock_rate / 1000 * config.interval_ms);
  jb.max_delay_ms = config.max_delay_ms;
  why = rtp::ValidateJitterBufferConfig(jb);
  if (!why.empty()) return fail(why);
  auto jitter = std::make_unique<rtp::JitterBuffer>(jb);
  return std::unique_ptr<MediaReceiver>(new MediaReceiver(resolved, std::move(decoder), std::move(jitter)));
}

MediaReceiver::MediaReceiver(const ReceiverConfig& config, std::unique_ptr<Decoder> decoder,
                             std::unique_ptr<rtp::JitterBuffer> jitter)
    : config_(config),
      decoder_(std::move(decoder)),
      jitter_(std::move(jitter)),
      codec_frame_samples_(FrameSamples(decoder_->rate(), config.interval_ms)),
      conference_frame_samples_(FrameSamples(config.conference_rate, config.interval_ms)),
      fifo_(kFifoSamples),
      fifo_audio_(kFifoSamples),
      codec_frame_(codec_frame_samples_),
      probe_units_(static_cast<uint32_t>(config.codec.clock_rate) / 1000 * kUnvoicedProbeMs),
      quiet_probe_units_(static_cast<uint32_t>(config.codec.clock_rate) / 1000 * kQuietProbeMs),
      // Any payload the jitter buffer accepts fits, so an onset always gets its pre-roll.
      preroll_(jitter_->config().max_payload_bytes),
      max_pops_(MaxPopsPerTick(config.interval_ms)) {
  if (config.telephone_event_pt >= 0)
    telephone_events_.emplace(static_cast<uint8_t>(config.telephone_event_pt),
                              static_cast<uint32_t>(config.telephone_event_clock));
  if (decoder_->rate() != config.conference_rate) resampler_.emplace(decoder_->rate(), config.conference_rate);
}

ReceiveResult MediaReceiver::OnDatagram(const uint8_t* data, size_t size, double arrival_ms) {
  ReceiveResult result;
  if (rtp::IsMuxedRtcp(data, size)) {
    stats_.rtcp++;
    result.valid = true;
    result.rtcp = true;
    return result;
  }
  rtp::RtpPacketView packet;
  const rtp::RtpParseResult parsed = rtp::ParseRtp(data, size, &packet);
  if (parsed != rtp::RtpParseResult::kOk) {
    stats_.malformed[static_cast<size_t>(parsed)]++;
    stats_.rejected[static_cast<size_t>(ReceiveReject::kMalformed)]++;
    result.reject = ReceiveReject::kMalformed;
    return result;
  }
  result.rtp = true;
  result.ssrc = packet.ssrc;
  result.sequence = packet.sequence;
  result.timestamp = packet.timestamp;
  result.payload_size = packet.payload_size;
  if (telephone_events_ && packet.payload_type == telephone_events_->payload_type()) {
    result.valid = true;
    result.telephone_event = true;
    result.key = telephone_events_->Push(packet);
    if (result.key && !TakeKeyToken(arrival_ms)) {
      result.key = 0;
      stats_.dtmf_dropped++;
    }
    if (result.key) stats_.dtmf_keys++;
    stats_.packets++;
    stats_.bytes += packet.payload_size;
    return result;
  }
  if (packet.payload_type != config_.codec.payload_type) {
    stats_.rejected[static_cast<size_t>(ReceiveReject::kWrongPayloadType)]++;
    result.reject = ReceiveReject::kWrongPayloadType;
    return result;
  }
  if (packet.payload_size > jitter_->config().max_payload_bytes) {
    // Larger than any payload of the negotiated codec we carry: counted, never played, never latched.
    stats_.rejected[static_cast<size_t>(ReceiveReject::kTooBig)]++;
    result.reject = ReceiveReject::kTooBig;
    return result;
  }
  const int samples = decoder_->PayloadSamples(packet.payload, packet.payload_size);
  const rtp::JitterPushResult pushed =
      jitter_->Push(packet, arrival_ms, samples > 0 ? static_cast<uint32_t>(samples) : 0);
  // The packet is this leg's even when the jitter buffer declines it (late, duplicate).
  result.valid = true;
  stats_.packets++;
  stats_.bytes += packet.payload_size;
  stats_.last_ssrc = packet.ssrc;
  stats_.last_sequence = packet.sequence;
  stats_.last_timestamp = packet.timestamp;
  if (pushed != rtp::JitterPushResult::kQueued && pushed != rtp::JitterPushResult::kSequenceJump) {
    stats_.rejected[static_cast<size_t>(ReceiveReject::kJitterRefused)]++;
    result.reject = ReceiveReject::kJitterRefused;
  } else if (rtp::AudioLevel level; config_.audio_level_id > 0 && rtp::FindAudioLevel(packet, config_.audio_level_id, &level)) {
    if (audio_level_dbov_ < 0 || level.dbov < audio_level_dbov_) audio_level_dbov_ = level.dbov;
  }
  return result;
}

bool MediaReceiver::TakeKeyToken(double arrival_ms) {
  if (dtmf_refilled_ms_ >= 0 && arrival_ms > dtmf_refilled_ms_) {
    dtmf_tokens_ = std::min(kDtmfKeyBurst, dtmf_tokens_ + (arrival_ms - dtmf_refilled_ms_) / kDtmfKeyIntervalMs);
  }
  if (dtmf_refilled_ms_ < 0 || arrival_ms > dtmf_refilled_ms_) dtmf_refilled_ms_ = arrival_ms;
  if (dtmf_tokens_ < 1) return false;
  dtmf_tokens_ -= 1;
  return true;
}

size_t MediaReceiver::PcmSamples(uint32_t rtp_units) {
  // The remainder carries over so odd durations never drift the PCM timeline.
  const uint64_t scaled = static_cast<uint64_t>(rtp_units) * static_cast<uint64_t>(decoder_->rate()) + pcm_remainder_;
  const uint64_t clock = static_cast<uint64_t>(config_.codec.clock_rate);
  pcm_remainder_ = scaled % clock;
  return static_cast<size_t>(scaled / clock);
}

void MediaReceiver::EndUnvoicedRun() {
  unvoiced_run_ = 0;
  preroll_size_ = 0;
}

bool MediaReceiver::OnsetCue(const rtp::JitterFrame& frame, VoiceActivity activity) {
  const bool voiced = activity == VoiceActivity::kActive;
  const bool vad_onset = voiced && !last_voiced_;
  last_voiced_ = voiced;
  // A VBR encoder spends more on speech than on the noise it sent so far. A CBR stream never
  // shows this cue, and libopus's VBR often shows it only from an onset's second frame.
  const uint32_t size16 = static_cast<uint32_t>(frame.payload_size) * 16;
  const bool larger = noise_bytes16_ != 0 && size16 > noise_bytes16_ + noise_bytes16_ / 8 + kOnsetCueBytes * 16;
  return vad_onset || larger;
}

void MediaReceiver::TrackPayloadSize(size_t size) {
  // Follows the upper range of the sizes: rises by half the gap, falls by 1/32 of it a frame, so
  // noise that swells and fades does not look like an onset at each swell.
  const uint32_t size16 = static_cast<uint32_t>(std::min<size_t>(size, 4096)) * 16;
  if (noise_bytes16_ == 0) {
    noise_bytes16_ = size16;
  } else if (size16 > noise_bytes16_) {
    noise_bytes16_ += (size16 - noise_bytes16_) / 2;
  } else {
    noise_bytes16_ -= (noise_bytes16_ - size16) / 32;
  }
}

bool MediaReceiver::SkipUnvoiced(const rtp::JitterFrame& frame, DecodePolicy policy, bool* probe) {
  *probe = false;
  const bool below_cut = policy == DecodePolicy::kBelowCut;
  bool voiced = false;  // a quiet member's voiced payload, skipped all the same
  if (!below_cut) {
    if (policy != DecodePolicy::kVoiced && policy != DecodePolicy::kQuiet) return false;
    const VoiceActivity activity = decoder_->PayloadVoiceActivity(frame.payload, frame.payload_size);
    voiced = activity != VoiceActivity::kInactive;
    if (policy == DecodePolicy::kQuiet) {
      if (OnsetCue(frame, activity)) return false;  // decoded now, after the pre-roll
      // Voiced (or unflagged) payloads of a quiet member: every other one is decoded, so a
      // voiced onset that shows no cue loses one frame at most.
      if (voiced && after_unvoiced_skip()) {
        *probe = true;
        return false;
      }
    } else if (voiced) {
      return false;
    }
    // The frame that would make the run reach the probe interval is decoded instead: a loud
    // signal the encoder calls unvoiced reaches the gate within kUnvoicedProbeMs (kQuietProbeMs
    // for a quiet member, whose decodes so far all said it is quiet).
    const uint32_t probe_units = policy == DecodePolicy::kQuiet ? quiet_probe_units_ : probe_units_;
    if (unvoiced_run_ + frame.samples >= probe_units) {
      *probe = true;
      return false;
    }
  }
  // Saturates at the probe interval: a long run below the cut must not wrap.
  if (unvoiced_run_ < quiet_probe_units_) unvoiced_run_ += frame.samples;
  if (frame.payload_size <= preroll_.size()) {
    std::memcpy(preroll_.data(), frame.payload, frame.payload_size);
    preroll_size_ = frame.payload_size;
  } else {
    preroll_size_ = 0;
  }
  if (below_cut) {
    stats_.level_skips++;
  } else if (voiced) {
    stats_.quiet_skips++;
  } else {
    stats_.unvoiced_skips++;
  }
  return true;
}

void MediaReceiver::PreRoll() {
  if (preroll_size_ == 0) return;
  // The FIFO's free tail is scratch here: the real decode overwrites it.
  decoder_->Decode(preroll_.data(), preroll_size_, fifo_.data() + fifo_used_, FifoSpace());
  stats_.decodes++;
}

bool MediaReceiver::FillOne(const rtp::JitterFrame& frame, DecodePolicy policy) {
  // The jitter buffer counts RTP clock units; the decoder writes PCM at its own rate.
  const size_t want = std::min(PcmSamples(frame.samples), FifoSpace());
  int16_t* tail = fifo_.data() + fifo_used_;
  uint8_t* tail_audio = fifo_audio_.data() + fifo_used_;
  int produced = -1;
  bool audio = false;
  switch (frame.kind) {
    case rtp::JitterFrameKind::kPacket:
      if (policy == DecodePolicy::kSkip) {
        EndUnvoicedRun();  // a pre-roll from before the mute would be older still
        stats_.skipped_decodes++;
      } else if (decoder_->IsDtx(frame.payload, frame.payload_size)) {
        stats_.skipped_decodes++;
      } else if (bool probe = false; !SkipUnvoiced(frame, policy, &probe)) {
        // A probe only asks whether the gate opens: no pre-roll for it.
        if (!probe) PreRoll();
        EndUnvoicedRun();
        produced = decoder_->Decode(frame.payload, frame.payload_size, tail, FifoSpace());
        stats_.decodes++;
        if (produced < 0) {  // a malformed payload is concealed like a loss
          produced = decoder_->Conceal(tail, want);
          stats_.concealed++;
        }
        audio = true;
        TrackPayloadSize(frame.payload_size);
      } else {
        TrackPayloadSize(frame.payload_size);
      }
      break;
    case rtp::JitterFrameKind::kLost:
      // Right after an unvoiced skip the decoder holds no recent audio to conceal from: silence.
      if (policy != DecodePolicy::kSkip && !after_unvoiced_skip()) {
        if (frame.next_payload)
          produced = decoder_->DecodeFec(frame.next_payload, frame.next_payload_size, tail, want);
        if (produced >= 0) {
          stats_.fec_recovered++;
        } else {
          produced = decoder_->Conceal(tail, want);
          stats_.concealed++;
        }
        stats_.decodes++;
        audio = true;
      }
      break;
    case rtp::JitterFrameKind::kDtx:
      if (frame.payload) stats_.skipped_decodes++;  // a DTX packet: comfort, nothing to decode
      break;
    case rtp::JitterFrameKind::kUnderrun:
      break;
  }
  if (produced < 0) {
    produced = static_cast<int>(want);
    std::memset(tail, 0, want * sizeof(int16_t));
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(produced), FifoSpace());
  std::memset(tail_audio, audio ? 1 : 0, n);
  fifo_used_ += n;
  return audio;
}

bool MediaReceiver::ProduceFrame(int16_t* out, DecodePolicy policy) {
  const size_t need = codec_frame_samples_;
  // However the peer shaped its stream, a tick costs at most max_pops_ frames of work.
  for (int pops = 0; fifo_used_ < need && pops < max_pops_; pops++) {
    const rtp::JitterFrame frame = jitter_->Pop();
    if (frame.kind == rtp::JitterFrameKind::kUnderrun) {
      // A talker's packet is late: conceal a few frames rather than cut to silence.
      const bool starved = frame.cause == rtp::UnderrunCause::kStarved || frame.cause == rtp::UnderrunCause::kStretch;
      if (starved && policy != DecodePolicy::kSkip && last_frame_audio_ && !after_unvoiced_skip() &&
          concealed_run_ < kMaxConcealedRun) {
        const size_t missing = std::min(need - fifo_used_, FifoSpace());
        const int produced = decoder_->Conceal(fifo_.data() + fifo_used_, missing);
        if (produced > 0) {
          std::memset(fifo_audio_.data() + fifo_used_, 1, static_cast<size_t>(produced));
          fifo_used_ += static_cast<size_t>(produced);
          stats_.concealed++;
          stats_.decodes++;
          concealed_run_++;
        }
      }
      break;
    }
    if (frame.samples == 0) break;
    FillOne(frame, policy);
    concealed_run_ = 0;
  }
  const size_t take = std::min(need, fifo_used_);
  bool audio = false;
  for (size_t i = 0; i < take; i++) audio |= fifo_audio_[i] != 0;
  if (!audio) {
    std::memset(out, 0, conference_frame_samples_ * sizeof(int16_t));
    if (resampler_) resampler_->Reset();
  } else {
    std::memcpy(codec_frame_.data(), fifo_.data(), take * sizeof(int16_t));
    std::memset(codec_frame_.data() + take, 0, (need - take) * sizeof(int16_t));
    if (resampler_) resampler_->Process(codec_frame_.data(), need, out);
    else std::memcpy(out, codec_frame_.data(), need * sizeof(int16_t));
  }
  // Keep what is left of a packet longer than the tick for the next one.
  const size_t left = fifo_used_ - take;
  if (left) {
    std::memmove(fifo_.data(), fifo_.data() + take, left * sizeof(int16_t));
    std::memmove(fifo_audio_.data(), fifo_audio_.data() + take, left);
  }
  fifo_used_ = left;
  last_frame_audio_ = audio;
  audio_level_dbov_ = -1;  // the next tick ranks by the packets taken from now on
  return audio;
}

}  // namespace confmix
