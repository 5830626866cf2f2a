// A conference as the media thread runs it: a clocked job around a MediaConference, and the
// packet sink of its members' legs. Control calls reach it as commands applied on the media
// thread (before the next packet or tick), so the conference is only ever touched there.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/io/command_queue.h"
#include "core/io/tick_job.h"
#include "core/media/media_conference.h"
#include "core/shard/shard_outbox.h"

namespace confmix::shard {

class ConferenceJob final : public io::TickJob, public io::PacketSink, private MediaOutput {
 public:
  /** A command run on the media thread with the job (and its conference). */
  using Command = std::function<void(ConferenceJob&)>;

  ConferenceJob(uint32_t handle, std::unique_ptr<MediaConference> conference, ShardOutbox& outbox);

  /** Queues a command (any thread). */
  void Post(Command command);

  /** The conference (media thread only: inside a Command, Tick or OnPacket). */
  MediaConference& conference() { return *conference_; }
  /** Routes a leg's packets to a member and the member's packets to the leg (media thread). */
  void BindLeg(uint32_t member, io::LegId leg);
  /** Forgets a member's leg (media thread). */
  void UnbindMember(uint32_t member);

  /** Encodes done by the last tick (any thread). */
  uint32_t last_encodes() const { return last_encodes_.load(std::memory_order_relaxed); }
  /** Ticks run (any thread). */
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }
  /** Deadline of the last tick run, CLOCK_MONOTONIC ns (any thread). */
  int64_t last_deadline_ns() const { return last_deadline_ns_.load(std::memory_order_relaxed); }
  /** Decodes done by the last tick (any thread). */
  uint32_t last_decodes() const { return last_decodes_.load(std::memory_order_relaxed); }

  void Tick(io::TickContext& context) override;
  bool OnPacket(io::LegId leg, const uint8_t* data, size_t size, const io::SocketAddress& from,
                int64_t now_ns) override;

 private:
  void ApplyCommands();
  void OnPacket(uint32_t member, const uint8_t* data, size_t size) override;
  void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) override;

  uint32_t handle_;
  std::unique_ptr<MediaConference> conference_;
  ShardOutbox& outbox_;
  io::CommandQueue<Command> commands_;
  std::atomic<bool> has_commands_{false};
  std::vector<Command> applying_;
  std::unordered_map<io::LegId, uint32_t> member_of_leg_;
  std::unordered_map<uint32_t, io::LegId> leg_of_member_;
  io::TickContext* context_ = nullptr;  // during Tick
  OutboxBatch staged_;
  std::atomic<uint32_t> last_encodes_{0};
  std::atomic<uint32_t> last_decodes_{0};
  std::atomic<uint64_t> ticks_{0};
  std::atomic<int64_t> last_deadline_ns_{0};
};

}  // namespace confmix::shard
