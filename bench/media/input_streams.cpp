#include "input_streams.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/frame.h"
#include "core/rtp/rtp_packet.h"

namespace confmix::bench {

namespace {

constexpr double kTwoPi = 6.283185307179586;

double DbfsToAmplitude(double dbfs) { return 32767.0 * std::pow(10.0, dbfs / 20.0); }

int16_t Clamp16(double x) { return static_cast<int16_t>(std::lround(std::clamp(x, -32767.0, 32767.0))); }

// A formant-like bump: 1 at `centre`, falling off over `width` Hz.
double Bump(double f, double centre, double width) {
  const double d = (f - centre) / width;
  return std::exp(-d * d);
}

}  // namespace

std::vector<int16_t> SpeechLikeSignal(int rate, double seconds, uint32_t seed) {
  const size_t total = static_cast<size_t>(seconds * rate);
  std::vector<int16_t> out(total, 0);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const double nyquist_guard = 0.45 * rate;
  const double voiced_rms = DbfsToAmplitude(-22.0);
  const double fricative_rms = DbfsToAmplitude(-32.0);
  size_t at = 0;
  double phase = 0.0;
  while (at < total) {
    // A syllable: voiced part, then sometimes a fricative, then a pause under the hangover.
    const size_t voiced = static_cast<size_t>((0.12 + 0.2 * unit(rng)) * rate);
    const size_t fricative = unit(rng) < 0.4 ? static_cast<size_t>((0.05 + 0.07 * unit(rng)) * rate) : 0;
    const size_t pause = static_cast<size_t>((0.03 + 0.2 * unit(rng)) * rate);
    const double f0_start = 100.0 + 120.0 * unit(rng), f0_end = f0_start * (0.8 + 0.4 * unit(rng));
    const double formant1 = 300.0 + 500.0 * unit(rng), formant2 = 900.0 + 1500.0 * unit(rng);
    // Harmonic weights are fixed per syllable (the formants); normalised to the voiced level.
    const int harmonics = static_cast<int>(std::min(nyquist_guard, 4000.0) / f0_start);
    std::vector<double> weight(static_cast<size_t>(harmonics));
    double power = 0.0;
    for (int h = 1; h <= harmonics; ++h) {
      const double f = h * f0_start;
      const double w = (1.0 / h) * (0.2 + Bump(f, formant1, 200.0) + 0.6 * Bump(f, formant2, 300.0));
      weight[static_cast<size_t>(h - 1)] = w;
      power += w * w / 2.0;
    }
    const double scale = voiced_rms / std::sqrt(power);
    for (size_t i = 0; i < voiced && at < total; ++i, ++at) {
      const double progress = static_cast<double>(i) / static_cast<double>(voiced);
      const double envelope = std::sin(3.141592653589793 * progress);  // rise and fall
      phase += kTwoPi * (f0_start + (f0_end - f0_start) * progress) / rate;
      if (phase > kTwoPi) phase -= kTwoPi;
      double x = 0.0;
      for (int h = 1; h <= harmonics; ++h) x += weight[static_cast<size_t>(h - 1)] * std::sin(h * phase);
      out[at] = Clamp16(scale * envelope * std::sqrt(envelope) * x);
    }
    double previous = 0.0;
    for (size_t i = 0; i < fricative && at < total; ++i, ++at) {
      const double white = gauss(rng);
      out[at] = Clamp16(fricative_rms * (white - 0.7 * previous));  // tilted towards the highs
      previous = white;
    }
    at = std::min(total, at + pause);  // zeros
  }
  return out;
}

std::vector<int16_t> NoiseSignal(int rate, double seconds, double dbfs, uint32_t seed) {
  std::vector<int16_t> out(static_cast<size_t>(seconds * rate));
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, DbfsToAmplitude(dbfs));
  for (int16_t& s : out) s = Clamp16(gauss(rng));
  return out;
}

std::vector<int16_t> SilenceSignal(int rate, double seconds) {
  return std::vector<int16_t>(static_cast<size_t>(seconds * rate), 0);
}

double PayloadLoop::MeanBytes() const {
  if (payloads.empty()) return 0.0;
  double total = 0.0;
  for (const auto& p : payloads) total += static_cast<double>(p.size());
  return total / static_cast<double>(payloads.size());
}

bool EncodeLoop(const CodecParams& codec, const std::vector<int16_t>& pcm, int interval_ms,
                size_t skip_frames, PayloadLoop* loop, std::string* error) {
  auto encoder = CreateEncoder(codec, error);
  if (!encoder) return false;
  const size_t frame = FrameSamples(encoder->rate(), interval_ms);
  std::vector<uint8_t> payload(4000);
  loop->payloads.clear();
  for (size_t start = 0, index = 0; start + frame <= pcm.size(); start += frame, ++index) {
    const int bytes = encoder->Encode(pcm.data() + start, frame, payload.data(), payload.size());
    if (bytes < 0) {
      if (error) *error = "encoding the input loop failed";
      return false;
    }
    if (index >= skip_frames) loop->payloads.emplace_back(payload.begin(), payload.begin() + bytes);
  }
  if (loop->payloads.empty()) {
    if (error) *error = "input loop is empty";
    return false;
  }
  return true;
}

size_t FirstSmallPayload(const PayloadLoop& loop, size_t size_limit) {
  for (size_t i = 0; i < loop.payloads.size(); ++i) {
    if (loop.payloads[i].size() <= size_limit) return i;
  }
  return loop.payloads.size();
}

PacketBatch::PacketBatch(size_t members, size_t ticks, size_t max_payload)
    : members_(members),
      ticks_(ticks),
      bytes_(members * ticks * (max_payload + rtp::kRtpHeaderSize)),
      offsets_(members * ticks + 1, 0) {}

void PacketBatch::Build(std::vector<MemberStream>& streams, uint64_t first_tick) {
  size_t used = 0;
  for (size_t t = 0; t < ticks_; ++t) {
    for (size_t m = 0; m < members_; ++m) {
      MemberStream& stream = streams[m];
      const auto& payloads = stream.loop->payloads;
      const std::vector<uint8_t>& payload = payloads[(stream.offset + first_tick + t) % payloads.size()];
      offsets_[t * members_ + m] = used;
      used += stream.rtp.Write(payload.data(), payload.size(), stream.rtp_samples, bytes_.data() + used,
                               bytes_.size() - used);
    }
  }
  offsets_[ticks_ * members_] = used;
}

}  // namespace confmix::bench
