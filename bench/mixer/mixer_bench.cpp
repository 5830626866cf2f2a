// Mixer throughput: participant-frames mixed per second on one core, the core against a scalar
// baseline of the same tick. Prints one JSON line for bench/mixer/index.ts to tabulate.
//
// Scenario per rate: `members` members, 20 ms frames, every member sends a frame every tick;
// 10% talk (a loud multi-tone frame, gate open), the rest send low background noise (under the
// threshold: scored and gated, never mixed). Talkers hear their own N-1 mix; the rest hear a
// listen group (90% at level 0, 10% at +1). Time is the thread's CPU time, so the figure is per core.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "baseline_mixer.h"
#include "core/frame.h"
#include "core/mix/conference.h"

namespace {

using confmix::Conference;
using confmix::ConferenceOptions;
using confmix::Member;
using confmix::MemberUpdate;
using confmix::bench::BaselineMixer;

double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Scenario {
  size_t members;
  size_t frame_samples;
  std::vector<bool> talker;
  std::vector<int> talk_level;
  std::vector<int> listen_level;
  std::vector<std::vector<int16_t>> frames;  // a pool of input frames, reused across ticks
  size_t talker_frames;                      // frames[0..talker_frames) are loud, the rest quiet
};

Scenario MakeScenario(int rate, size_t members, double talking_share) {
  Scenario s;
  s.members = members;
  s.frame_samples = confmix::FrameSamples(rate, 20);
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> phase(0.0, 6.283185307);
  std::uniform_int_distribution<int> quiet(-40, 40);
  const size_t talkers = static_cast<size_t>(std::lround(static_cast<double>(members) * talking_share));
  for (size_t i = 0; i < members; ++i) {
    s.talker.push_back((i * talkers) / members != ((i + 1) * talkers) / members);  // evenly spread
    s.talk_level.push_back(s.talker.back() ? static_cast<int>(i % 3) - 1 : 0);
    s.listen_level.push_back(i % 10 == 7 ? 1 : 0);
  }
  s.talker_frames = 32;
  for (size_t f = 0; f < 64; ++f) {
    std::vector<int16_t> frame(s.frame_samples);
    const double p1 = phase(rng), p2 = phase(rng);
    for (size_t i = 0; i < s.frame_samples; ++i) {
      if (f < s.talker_frames) {
        const double t = static_cast<double>(i) / rate;
        frame[i] = static_cast<int16_t>(std::lround(1500.0 * std::sin(6.283185307 * 300.0 * t + p1) +
                                                    1000.0 * std::sin(6.283185307 * 1100.0 * t + p2)));
      } else {
        frame[i] = static_cast<int16_t>(quiet(rng));
      }
    }
    s.frames.push_back(std::move(frame));
  }
  return s;
}

const int16_t* FrameFor(const Scenario& s, size_t member, uint64_t tick) {
  const size_t pool = s.talker[member] ? s.talker_frames : s.frames.size() - s.talker_frames;
  const size_t base = s.talker[member] ? 0 : s.talker_frames;
  return s.frames[base + (member + tick) % pool].data();
}

struct Timing {
  double participant_frames_per_sec;
  double us_per_tick;
  uint64_t ticks;
};

// Runs `tick` (fill inputs, mix, read outputs) until `seconds` of thread CPU time have passed.
template <typename TickFn>
Timing Measure(size_t members, double seconds, TickFn tick) {
  for (uint64_t t = 0; t < 30; ++t) tick(t);  // warm-up: gates open, caches warm
  uint64_t ticks = 0;
  const double start = ThreadSeconds();
  double elapsed = 0.0;
  do {
    for (int k = 0; k < 16; ++k) tick(30 + ticks++);
    elapsed = ThreadSeconds() - start;
  } while (elapsed < seconds);
  return {static_cast<double>(members) * static_cast<double>(ticks) / elapsed, elapsed * 1e6 / static_cast<double>(ticks), ticks};
}

volatile int64_t g_sink = 0;  // keeps output reads from being optimized away

std::string RunRate(int rate, size_t members, double seconds) {
  const Scenario s = MakeScenario(rate, members, 0.10);
  const size_t n = s.frame_samples;

  ConferenceOptions options;
  options.rate = rate;
  options.interval_ms = 20;
  confmix::Status status;
  std::unique_ptr<Conference> conf = Conference::Create(options, &status);
  if (!conf) {
    std::fprintf(stderr, "conference: %s\n", status.message.c_str());
    std::exit(1);
  }
  std::vector<Member*> handles;
  for (size_t i = 0; i < members; ++i) {
    MemberUpdate u;
    u.talk_level = s.talk_level[i];
    u.listen_level = s.listen_level[i];
    conf->AddMember(static_cast<uint32_t>(i + 1), u);
    handles.push_back(conf->FindMember(static_cast<uint32_t>(i + 1)));
  }
  BaselineMixer baseline(members, n, conf->hangover_frames());
  for (size_t i = 0; i < members; ++i) {
    baseline.members()[i].talk_level = s.talk_level[i];
    baseline.members()[i].listen_level = s.listen_level[i];
  }

  auto core_tick = [&](uint64_t t) {
    for (size_t i = 0; i < members; ++i) {
      std::memcpy(handles[i]->input_frame(), FrameFor(s, i, t), n * sizeof(int16_t));
      handles[i]->CommitInput();
    }
    conf->Mix();
    int64_t acc = 0;
    for (Member* m : handles) acc += m->output_frame()[t % n];
    g_sink = g_sink + acc;
  };
  auto baseline_tick = [&](uint64_t t) {
    auto& ms = baseline.members();
    for (size_t i = 0; i < members; ++i) std::memcpy(ms[i].input.data(), FrameFor(s, i, t), n * sizeof(int16_t));
    baseline.Mix();
    int64_t acc = 0;
    for (auto& m : ms) acc += m.output[t % n];
    g_sink = g_sink + acc;
  };

  // Same input, same output: the two implement one tick (compared on a few ticks first).
  int max_difference = 0;
  size_t contributors = 0;
  for (uint64_t t = 0; t < 5; ++t) {
    core_tick(t);
    baseline_tick(t);
    contributors = 0;
    for (size_t i = 0; i < members; ++i) {
      contributors += handles[i]->contributed() ? 1 : 0;
      for (size_t k = 0; k < n; ++k)
        max_difference = std::max(max_difference, std::abs(handles[i]->output_frame()[k] - baseline.members()[i].output[k]));
    }
  }

  const Timing core = Measure(members, seconds, core_tick);
  const Timing base = Measure(members, seconds, baseline_tick);
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"rate\":%d,\"members\":%zu,\"talking\":%zu,\"participantFramesPerSec\":%.0f,\"usPerTick\":%.2f,"
                "\"baselineParticipantFramesPerSec\":%.0f,\"baselineUsPerTick\":%.2f,\"baselineRatio\":%.2f,"
                "\"maxSampleDifference\":%d}",
                rate, members, contributors, core.participant_frames_per_sec, core.us_per_tick,
                base.participant_frames_per_sec, base.us_per_tick,
                core.participant_frames_per_sec / base.participant_frames_per_sec, max_difference);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  size_t members = 1000;
  double seconds = 1.0;
  std::vector<int> rates = {8000, 16000, 48000};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--members") {
      members = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--rates") {
      rates.clear();
      for (const char* p = argv[i + 1]; *p != '\0';) {
        char* end = nullptr;
        rates.push_back(static_cast<int>(std::strtol(p, &end, 10)));
        p = *end == ',' ? end + 1 : end;
      }
    } else {
      std::fprintf(stderr, "unknown flag %s (use --members N, --seconds S, --rates 8000,16000)\n", flag.c_str());
      return 2;
    }
  }
  if (members < 10 || members > confmix::kMaxMembers || !(seconds > 0.0)) {
    std::fprintf(stderr, "members must be 10..%zu and seconds > 0\n", confmix::kMaxMembers);
    return 2;
  }
  for (int rate : rates) {
    if (!confmix::IsSupportedRate(rate)) {
      std::fprintf(stderr, "unsupported rate %d\n", rate);
      return 2;
    }
  }
  std::string out = "[";
  for (size_t i = 0; i < rates.size(); ++i) out += (i ? "," : "") + RunRate(rates[i], members, seconds);
  std::printf("%s]\n", out.c_str());
  return 0;
}
