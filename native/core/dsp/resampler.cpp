#include "core/dsp/resampler.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>
#include <utility>

namespace confmix {
namespace {

// Filter design, in units of the lower of the two rates. Passband flat to 0.45 (within 0.05 dB),
// stopband from 0.5 (the lower Nyquist) at least 63 dB down. Linear phase: group delay 40
// samples of the lower rate (5 ms at 8 kHz). Minimum phase: about 2 at low frequencies, 14 at
// the band edge.
constexpr double kTapsPerLowRateSample = 80.0;
constexpr double kCutoff = 0.4725;
constexpr double kKaiserBeta = 6.25;
// The dot product runs kChains independent sets of kLanes float lanes (four FMA chains in
// flight); taps per phase are padded with zeros to a multiple of kChains * kLanes.
constexpr size_t kLanes = 8;
constexpr size_t kChains = 4;
// Input samples converted per pass: bounds the work buffer whatever the caller hands in.
constexpr size_t kChunkSamples = 960;

constexpr double kPi = 3.14159265358979323846;
// Minimum-phase design: the cepstrum is taken over this many times the filter's length (less
// would alias it), and the magnitude is floored this far below its peak (the log of a stopband
// zero is -inf); both leave the response within 0.01 dB of the linear-phase one.
constexpr size_t kCepstrumOversampling = 32;
constexpr double kMagnitudeFloor = 1e-6;

constexpr int kRates[] = {8000, 12000, 16000, 24000, 32000, 48000};

double BesselI0(double x) {
  double sum = 1.0;
  double term = 1.0;
  const double half = x / 2.0;
  for (int k = 1; k < 64; ++k) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

// Plain loops over contiguous floats in independent lanes, so the compiler emits vector FMAs
// without reassociating one running sum; several lane sets keep several FMA chains in flight.
inline float Dot(const float* __restrict taps, const float* __restrict x, size_t count) {
  float lanes[kChains][kLanes] = {};
  for (size_t i = 0; i < count; i += kChains * kLanes) {
    for (size_t c = 0; c < kChains; ++c) {
      for (size_t j = 0; j < kLanes; ++j) lanes[c][j] += taps[i + c * kLanes + j] * x[i + c * kLanes + j];
    }
  }
  for (size_t c = 1; c < kChains; ++c) {
    for (size_t j = 0; j < kLanes; ++j) lanes[0][j] += lanes[c][j];
  }
  // Pairwise halving, so the final sum is a few vector adds rather than a serial chain.
  for (size_t width = kLanes / 2; width > 0; width /= 2) {
    for (size_t j = 0; j < width; ++j) lanes[0][j] += lanes[0][j + width];
  }
  return lanes[0][0];
}

inline int16_t ToInt16(float v) {
  const float clamped = std::min(32767.0f, std::max(-32768.0f, v));
  return static_cast<int16_t>(std::lrint(clamped));
}

using Complex = std::complex<double>;

// In-place radix-2 FFT (size a power of two); inverse without the 1/N scale.
void Fft(std::vector<Complex>& x, bool inverse) {
  const size_t n = x.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(x[i], x[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double angle = (inverse ? 2.0 : -2.0) * kPi / static_cast<double>(len);
    const Complex step(std::cos(angle), std::sin(angle));
    for (size_t i = 0; i < n; i += len) {
      Complex w(1.0, 0.0);
      for (size_t k = 0; k < len / 2; ++k) {
        const Complex a = x[i + k];
        const Complex b = x[i + k + len / 2] * w;
        x[i + k] = a + b;
        x[i + k + len / 2] = a - b;
        w *= step;
      }
    }
  }
}

// The minimum-phase filter with the magnitude response of `h` (homomorphic method: fold the
// real cepstrum of log|H| onto positive quefrencies), truncated to h's length.
std::vector<double> MinimumPhase(const std::vector<double>& h) {
  size_t n = 1;
  while (n < kCepstrumOversampling * h.size()) n <<= 1;
  std::vector<Complex> x(n);
  for (size_t i = 0; i < h.size(); ++i) x[i] = h[i];
  Fft(x, false);
  double peak = 0.0;
  for (const Complex& v : x) peak = std::max(peak, std::abs(v));
  for (Complex& v : x) v = std::log(std::max(std::abs(v), peak * kMagnitudeFloor));
  Fft(x, true);  // the real cepstrum, times n
  for (size_t i = 0; i < n; ++i) {
    const double fold = i == 0 || i == n / 2 ? 1.0 : (i < n / 2 ? 2.0 : 0.0);
    x[i] = fold * x[i].real() / static_cast<double>(n);
  }
  Fft(x, false);
  for (Complex& v : x) v = std::exp(v);
  Fft(x, true);
  std::vector<double> out(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = x[i].real() / static_cast<double>(n);
  return out;
}

}  // namespace

struct ResamplerBank {
  size_t taps_per_phase = 0;
  std::vector<float> taps;  // phase p's taps at [p * taps_per_phase], time-reversed
  double delay_out = 0.0;   // group delay in output samples
};

namespace {

// Builds the polyphase bank for up/down. The prototype runs at up * in_rate; its cutoff in
// cycles per prototype sample is kCutoff / max(up, down), which depends on the ratio only.
std::shared_ptr<const ResamplerBank> DesignBank(int up, int down, ResamplerPhase phase) {
  const int widest = std::max(up, down);
  const size_t length = static_cast<size_t>(std::lround(kTapsPerLowRateSample * widest));
  const size_t raw_per_phase = (length + static_cast<size_t>(up) - 1) / static_cast<size_t>(up);
  const size_t per_phase = (raw_per_phase + kChains * kLanes - 1) / (kChains * kLanes) * (kChains * kLanes);

  // Kaiser-windowed sinc centred on the middle of `length` prototype taps.
  const double cutoff = kCutoff / widest;  // cycles per prototype sample
  const double centre = (static_cast<double>(length) - 1.0) / 2.0;
  const double window_norm = BesselI0(kKaiserBeta);
  std::vector<double> prototype(length, 0.0);
  for (size_t n = 0; n < length; ++n) {
    const double t = static_cast<double>(n) - centre;
    const double arg = 2.0 * cutoff * t;
    const double sinc = t == 0.0 ? 1.0 : std::sin(kPi * arg) / (kPi * arg);
    const double r = 2.0 * t / (static_cast<double>(length) - 1.0);
    const double window = BesselI0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / window_norm;
    prototype[n] = 2.0 * cutoff * sinc * window;
  }
  if (phase == ResamplerPhase::kMinimum) prototype = MinimumPhase(prototype);
  // Group delay at DC, in prototype samples: the impulse response's centre of mass.
  double moment = 0.0;
  double total = 0.0;
  for (size_t n = 0; n < length; ++n) {
    moment += static_cast<double>(n) * prototype[n];
    total += prototype[n];
  }
  prototype.resize(per_phase * static_cast<size_t>(up), 0.0);

  auto bank = std::make_shared<ResamplerBank>();
  bank->taps_per_phase = per_phase;
  bank->taps.assign(per_phase * static_cast<size_t>(up), 0.0f);
  for (size_t p = 0; p < static_cast<size_t>(up); ++p) {
    // Each phase is normalised to unit DC gain, so a constant input comes out exactly.
    double sum = 0.0;
    for (size_t k = 0; k < per_phase; ++k) sum += prototype[p + k * up];
    float* phase_taps = bank->taps.data() + p * per_phase;
    for (size_t k = 0; k < per_phase; ++k) {
      phase_taps[per_phase - 1 - k] = static_cast<float>(prototype[p + k * up] / sum);
    }
  }
  bank->delay_out = moment / total / down;
  return bank;
}

// One bank per ratio for the whole process: thousands of members share it.
std::shared_ptr<const ResamplerBank> SharedBank(int up, int down, ResamplerPhase phase) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, ResamplerPhase>, std::shared_ptr<const ResamplerBank>> banks;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = banks[{up, down, phase}];
  if (!slot) slot = DesignBank(up, down, phase);
  return slot;
}

}  // namespace

bool IsResamplerRate(int rate) {
  for (int r : kRates)
    if (r == rate) return true;
  return false;
}

Resampler::Resampler(int in_rate, int out_rate, ResamplerPhase phase) : in_rate_(in_rate), out_rate_(out_rate) {
  if (!IsResamplerRate(in_rate) || !IsResamplerRate(out_rate)) {
    valid_ = false;
    out_rate_ = in_rate_;
    return;
  }
  if (in_rate == out_rate) return;
  const int g = std::gcd(in_rate, out_rate);
  up_ = out_rate / g;
  down_ = in_rate / g;
  bank_ = SharedBank(up_, down_, phase);
  taps_per_phase_ = bank_->taps_per_phase;
  work_.assign(taps_per_phase_ - 1 + kChunkSamples, 0.0f);
}

size_t Resampler::OutSamples(size_t in_samples) const {
  if (!bank_) return in_samples;
  const size_t span = in_samples * static_cast<size_t>(up_);
  if (phase_ >= span) return 0;
  const size_t down = static_cast<size_t>(down_);
  return (span - phase_ + down - 1) / down;
}

size_t Resampler::Process(const int16_t* in, size_t in_samples, int16_t* out) {
  if (!bank_) {
    if (in_samples > 0) std::memmove(out, in, in_samples * sizeof(int16_t));
    return in_samples;
  }
  const size_t history = taps_per_phase_ - 1;
  const size_t up = static_cast<size_t>(up_);
  const size_t down = static_cast<size_t>(down_);
  const float* taps = bank_->taps.data();
  float* work = work_.data();
  size_t written = 0;
  for (size_t start = 0; start < in_samples; start += kChunkSamples) {
    const size_t chunk = std::min(kChunkSamples, in_samples - start);
    float* fresh = work + history;
    for (size_t i = 0; i < chunk; ++i) fresh[i] = static_cast<float>(in[start + i]);
    // Output position on the upsampled timeline = newest * up + phase; the output reads
    // inputs newest - history .. newest, which sit at work[newest .. newest + history].
    size_t newest = phase_ / up;
    size_t phase = phase_ % up;
    const size_t step_inputs = down / up;
    const size_t step_phase = down % up;
    while (newest < chunk) {
      out[written++] = ToInt16(Dot(taps + phase * taps_per_phase_, work + newest, taps_per_phase_));
      newest += step_inputs;
      phase += step_phase;
      if (phase >= up) {
        phase -= up;
        ++newest;
      }
    }
    phase_ = (newest - chunk) * up + phase;
    std::memmove(work, work + chunk, history * sizeof(float));
  }
  return written;
}

void Resampler::Reset() {
  phase_ = 0;
  std::fill(work_.begin(), work_.end(), 0.0f);
}

double Resampler::delay() const { return bank_ ? bank_->delay_out : 0.0; }

}  // namespace confmix
