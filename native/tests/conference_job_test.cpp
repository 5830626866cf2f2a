// A conference job on a running media thread: what a command reports as failed reaches the
// shard outbox with the conference's handle, after the tick that applied it; an empty conference
// sleeps (the thread does not wake for it) and a command rouses it on its own grid.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "core/io/media_thread.h"
#include "core/shard/conference_job.h"

namespace confmix::shard {
namespace {

io::MediaThreadOptions Ports(int port_min) {
  io::MediaThreadOptions options;
  options.port_min = port_min;
  options.port_max = port_min + 19;
  options.realtime_priority = 0;
  return options;
}

// Adds a conference job of an empty conference to a started thread; with `sleeps`, the job
// sleeps while nothing needs its clock and the thread rouses it.
ConferenceJob* AddConference(io::MediaThread& thread, ShardOutbox& outbox, uint32_t handle, int interval_ms,
                             bool sleeps) {
  ConferenceOptions options;
  options.interval_ms = interval_ms;
  Status status;
  auto conference = MediaConference::Create(options, &status);
  EXPECT_TRUE(conference) << status.message;
  ConferenceJob::Rouse rouse;
  if (sleeps) rouse = [&thread](const io::TickJob* sleeper) { thread.RouseJob(sleeper); };
  auto job = std::make_unique<ConferenceJob>(handle, std::move(conference), outbox, std::move(rouse));
  ConferenceJob* raw = job.get();
  io::JobId id = 0;
  EXPECT_TRUE(thread.AddJob(std::move(job), interval_ms, &id).ok());
  return raw;
}

TEST(ConferenceJob, AFailedCommandReachesTheOutbox) {
  io::MediaThread thread(Ports(23140));
  ASSERT_TRUE(thread.Start().ok());
  ShardOutbox outbox;
  ConferenceJob* raw = AddConference(thread, outbox, 42, 20, /*sleeps=*/false);
  raw->Post([](ConferenceJob& j) {
    j.ReportFailure(CommandFailure{0, 5, 9u, Status::Error(StatusCode::kInvalidState, "too many playbacks at once")});
  });
  OutboxBatch taken;
  for (int i = 0; i < 200 && taken.failures.empty(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    outbox.Take(taken);
  }
  ASSERT_EQ(taken.failures.size(), 1u);
  const CommandFailure& failure = taken.failures[0];
  EXPECT_EQ(failure.conference, 42u);
  EXPECT_EQ(failure.member, 5u);
  EXPECT_EQ(failure.playback, 9u);
  EXPECT_EQ(failure.status.code, StatusCode::kInvalidState);
  EXPECT_EQ(failure.status.message, "too many playbacks at once");
  outbox.Take(taken);
  EXPECT_TRUE(taken.failures.empty());  // reported once
  thread.Stop();
}

// Polls `done` every millisecond for up to five seconds; true once it holds.
bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 5000; i++) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

bool JobAsleep(const io::MediaThread& thread) {
  const io::MediaThreadStats stats = thread.Stats();
  return stats.jobs.size() == 1 && stats.jobs[0].asleep;
}

TEST(ConferenceJob, AnEmptyConferenceSleepsAndAMemberWakesItOnItsGrid) {
  io::MediaThread thread(Ports(23160));
  ASSERT_TRUE(thread.Start().ok());
  ShardOutbox outbox;
  ConferenceJob* raw = AddConference(thread, outbox, 7, 20, /*sleeps=*/true);
  // Its first tick finds nothing to do: it sleeps, and the thread no longer wakes at all.
  ASSERT_TRUE(WaitFor([&] { return JobAsleep(thread); }));
  const uint64_t ticks = raw->ticks();
  const int64_t first_deadline = raw->last_deadline_ns();
  const uint64_t wakes = thread.Counters().wakes;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // ten intervals with nothing due
  EXPECT_EQ(thread.Counters().wakes, wakes);
  EXPECT_EQ(raw->ticks(), ticks);

  // A member rouses it: it ticks again, on the deadlines of its first grid.
  raw->Post([](ConferenceJob& j) { j.AddMember(1, MemberUpdate{}, MemberMediaConfig{}, 0, 0); });
  ASSERT_TRUE(WaitFor([&] { return raw->ticks() >= ticks + 5; }));
  EXPECT_FALSE(JobAsleep(thread));
  const int64_t since = raw->last_deadline_ns() - first_deadline;
  EXPECT_GT(since, 200'000'000);
  EXPECT_EQ(since % 20'000'000, 0);

  // The member leaves: asleep again.
  raw->Post([](ConferenceJob& j) { j.RemoveMember(1); });
  ASSERT_TRUE(WaitFor([&] { return JobAsleep(thread); }));
  thread.Stop();
}

TEST(ConferenceJob, EveryCommandPostedAsItFallsAsleepIsRun) {
  io::MediaThread thread(Ports(23180));
  ASSERT_TRUE(thread.Start().ok());
  ShardOutbox outbox;
  ConferenceJob* raw = AddConference(thread, outbox, 8, 10, /*sleeps=*/true);
  // Each command is posted right as the job goes back to sleep after the last one; a lost rouse
  // would leave its count behind for good.
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; i++) {
    raw->Post([&ran](ConferenceJob&) { ran.fetch_add(1); });
    ASSERT_TRUE(WaitFor([&] { return ran.load() == i + 1; })) << "command " << i << " never ran";
  }
  thread.Stop();
}

}  // namespace
}  // namespace confmix::shard
