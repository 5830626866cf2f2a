// A conference job on a running media thread: what a command reports as failed reaches the
// shard outbox with the conference's handle, after the tick that applied it.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "core/io/media_thread.h"
#include "core/shard/conference_job.h"

namespace confmix::shard {
namespace {

TEST(ConferenceJob, AFailedCommandReachesTheOutbox) {
  io::MediaThreadOptions options;
  options.port_min = 23140;
  options.port_max = 23159;
  options.realtime_priority = 0;
  io::MediaThread thread(options);
  ASSERT_TRUE(thread.Start().ok());
  ShardOutbox outbox;
  ConferenceOptions conference_options;
  Status status;
  auto conference = MediaConference::Create(conference_options, &status);
  ASSERT_TRUE(conference) << status.message;
  auto job = std::make_unique<ConferenceJob>(42, std::move(conference), outbox);
  ConferenceJob* raw = job.get();
  io::JobId id = 0;
  ASSERT_TRUE(thread.AddJob(std::move(job), 20, &id).ok());
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

}  // namespace
}  // namespace confmix::shard
