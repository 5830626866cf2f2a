// The shard controller: refusals are synchronous and change nothing, RTCP legs follow the mux
// rules, a failed open rolls back, and work posted to the media thread comes back as events.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/codec/g711.h"
#include "core/dsp/energy.h"
#include "core/shard/shard_controller.h"

namespace confmix::shard {
namespace {

// Each test takes its own ports so tests of other suites running beside it do not collide.
io::MediaThreadOptions Ports(int port_min, int port_max) {
  io::MediaThreadOptions options;
  options.port_min = port_min;
  options.port_max = port_max;
  options.realtime_priority = 0;
  return options;
}

ConferenceOptions Conference16k() {
  ConferenceOptions options;
  options.rate = 16000;
  options.interval_ms = 20;
  return options;
}

MemberLegSpec RtpLeg(std::optional<bool> mux = std::nullopt) {
  MemberLegSpec leg;
  leg.kind = LegKind::kRtp;
  ReceiverConfig receive;
  receive.codec.kind = CodecKind::kPcmu;
  leg.media.receive = receive;
  SenderConfig send;
  send.codec.kind = CodecKind::kPcmu;
  leg.media.send = send;
  io::SocketAddress remote;
  EXPECT_TRUE(io::SocketAddress::Parse("127.0.0.1", 40000, &remote));
  leg.remote = remote;
  leg.rtcp.mux = mux;
  return leg;
}

// Drains until `found` says yes or two seconds pass.
bool DrainUntil(ShardController& controller, const std::function<bool(const ShardDrain&)>& found) {
  ShardDrain drained;
  for (int i = 0; i < 200; i++) {
    controller.Drain(&drained);
    if (found(drained)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class ShardControllerTest : public ::testing::Test {
 protected:
  void Make(int port_min, int port_max) {
    const io::MediaThreadOptions options = Ports(port_min, port_max);
    ASSERT_TRUE(ShardController::ValidateOptions(options).ok());
    controller_ = std::make_unique<ShardController>(options);
    ASSERT_TRUE(controller_->Start().ok());
    ASSERT_TRUE(controller_->CreateConference(1, Conference16k(), MediaConferenceOptions()).ok());
  }
  std::unique_ptr<ShardController> controller_;
};

TEST_F(ShardControllerTest, RefusesUnknownAndDuplicateIdsWithTheirCodes) {
  Make(23000, 23019);
  EXPECT_EQ(controller_->CreateConference(1, Conference16k(), {}).code, StatusCode::kInvalidState);
  EXPECT_EQ(controller_->DestroyConference(9).code, StatusCode::kNotFound);
  MemberLegSpec app;
  app.kind = LegKind::kApp;
  EXPECT_EQ(controller_->AddMember(9, 1, {}, app, nullptr).code, StatusCode::kNotFound);
  ASSERT_TRUE(controller_->AddMember(1, 1, {}, app, nullptr).ok());
  EXPECT_EQ(controller_->AddMember(1, 1, {}, app, nullptr).code, StatusCode::kInvalidState);
  EXPECT_EQ(controller_->RemoveMember(1, 2).code, StatusCode::kNotFound);
  EXPECT_EQ(controller_->PressKey(1, 1, 'x').code, StatusCode::kInvalidArgument);
  EXPECT_TRUE(controller_->PressKey(1, 1, '5').ok());
  const int16_t pcm[320] = {};
  EXPECT_TRUE(controller_->PushPcm(1, 1, pcm, 320).ok());
  bool accepted = false;
  const uint8_t packet[12] = {0x80};
  EXPECT_EQ(controller_->PushPacket(1, 1, packet, sizeof(packet), &accepted).code, StatusCode::kInvalidState);
  EXPECT_EQ(controller_->Counters().members, 1u);
}

TEST_F(ShardControllerTest, ABadCodecIsRefusedBeforeAnyPortIsTaken) {
  Make(23020, 23039);
  MemberLegSpec leg = RtpLeg();
  leg.media.send->codec.kind = CodecKind::kOpus;
  leg.media.send->codec.clock_rate = 48000;
  leg.media.send->codec.complexity = 42;
  const Status status = controller_->AddMember(1, 1, {}, leg, nullptr);
  EXPECT_EQ(status.code, StatusCode::kInvalidArgument);
  EXPECT_NE(status.message.find("send codec"), std::string::npos) << status.message;
  EXPECT_TRUE(controller_->LegCounters().empty());
  EXPECT_EQ(controller_->Counters().members, 0u);
}

TEST_F(ShardControllerTest, WithoutMuxAMemberGetsASecondLegAndUpdatesMoveIt) {
  Make(23040, 23059);
  MemberLegInfo info;
  ASSERT_TRUE(controller_->AddMember(1, 1, {}, RtpLeg(false), &info).ok());
  EXPECT_NE(info.leg, 0u);
  EXPECT_NE(info.port, 0);
  EXPECT_NE(info.rtcp_port, 0);
  EXPECT_NE(info.rtcp_port, info.port);
  EXPECT_EQ(controller_->LegCounters().size(), 2u);
  MemberLegSpec muxed = RtpLeg();
  EXPECT_EQ(muxed.rtcp.remote_port, std::nullopt);
  muxed.rtcp.remote_port = 5000;
  EXPECT_EQ(controller_->AddMember(1, 2, {}, muxed, nullptr).code, StatusCode::kInvalidArgument);
  // Switching mux on closes the RTCP leg; off again opens one.
  RtpLegUpdate update;
  update.rtcp.mux = true;
  MemberLegInfo now;
  ASSERT_TRUE(controller_->UpdateLeg(1, 1, update, &now).ok());
  EXPECT_EQ(now.rtcp_port, 0);
  EXPECT_EQ(controller_->LegCounters().size(), 1u);
  update.rtcp.mux = false;
  ASSERT_TRUE(controller_->UpdateLeg(1, 1, update, &now).ok());
  EXPECT_NE(now.rtcp_port, 0);
  RtpLegUpdate interval;
  interval.rtcp.interval_ms = 1000;
  EXPECT_EQ(controller_->UpdateLeg(1, 1, interval, nullptr).code, StatusCode::kInvalidArgument);
  MemberCounters counters;
  ASSERT_TRUE(controller_->MemberStats(1, 1, &counters).ok());
  ASSERT_TRUE(counters.leg.has_value());
  ASSERT_TRUE(counters.rtcp_leg.has_value());
  EXPECT_EQ(counters.leg->port, info.port);
  ASSERT_TRUE(controller_->RemoveMember(1, 1).ok());
  EXPECT_TRUE(controller_->LegCounters().empty());
}

TEST_F(ShardControllerTest, AnRtcpLegThatCannotOpenRollsTheRtpLegBack) {
  Make(23060, 23061);  // one even port: room for an RTP leg, none for its RTCP leg
  const Status status = controller_->AddMember(1, 1, {}, RtpLeg(false), nullptr);
  EXPECT_EQ(status.code, StatusCode::kPortsExhausted);
  EXPECT_TRUE(controller_->LegCounters().empty());
  EXPECT_EQ(controller_->Counters().members, 0u);
  // The port comes back once the media thread has closed the rolled-back leg.
  Status added;
  for (int i = 0; i < 200; i++) {
    added = controller_->AddMember(1, 1, {}, RtpLeg(), nullptr);
    if (added.code != StatusCode::kPortsExhausted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(added.ok()) << added.message;
  EXPECT_EQ(controller_->AddMember(1, 2, {}, RtpLeg(), nullptr).code, StatusCode::kPortsExhausted);
}

TEST_F(ShardControllerTest, APlaybackIsKnownUntilItsDoneEventAndThenFree) {
  Make(23080, 23099);
  auto pcm = std::make_shared<const std::vector<int16_t>>(320, 1000);  // one frame
  EXPECT_EQ(controller_->StartPlayback(1, 7, std::make_shared<const std::vector<int16_t>>(), false, std::nullopt).code,
            StatusCode::kInvalidArgument);
  EXPECT_EQ(controller_->StartPlayback(1, 7, pcm, false, 3u).code, StatusCode::kNotFound);
  ASSERT_TRUE(controller_->StartPlayback(1, 7, pcm, false, std::nullopt).ok());
  EXPECT_EQ(controller_->StartPlayback(1, 7, pcm, false, std::nullopt).code, StatusCode::kInvalidState);
  EXPECT_TRUE(DrainUntil(*controller_, [](const ShardDrain& drained) {
    for (const ConferenceEvent& e : drained.outbox.events)
      if (e.conference == 1 && e.event.type == EventType::kPlaybackDone && e.event.playback == 7) return true;
    return false;
  }));
  EXPECT_EQ(controller_->StopPlayback(1, 7).code, StatusCode::kNotFound);
  EXPECT_TRUE(controller_->StartPlayback(1, 7, pcm, false, std::nullopt).ok());
}

TEST_F(ShardControllerTest, ExternalLegsTakeNoPortAndCarryPacketsBothWays) {
  Make(23100, 23119);
  MemberLegSpec external = RtpLeg();
  external.kind = LegKind::kExternal;
  external.remote.reset();
  MemberLegInfo a, b;
  ASSERT_TRUE(controller_->AddMember(1, 1, {}, external, &a).ok());
  ASSERT_TRUE(controller_->AddMember(1, 2, {}, external, &b).ok());
  EXPECT_NE(a.leg, 0u);
  EXPECT_EQ(a.port, 0);
  MemberLegSpec unmuxed = external;
  unmuxed.rtcp.mux = false;
  EXPECT_EQ(controller_->AddMember(1, 3, {}, unmuxed, nullptr).code, StatusCode::kInvalidArgument);
  // A loud PCMU tone from member 1: member 2 hears it in the RTP taken from the controller.
  std::vector<uint8_t> packet(12 + 160);
  std::vector<int16_t> tone(160);
  for (size_t i = 0; i < tone.size(); i++) tone[i] = static_cast<int16_t>(i % 16 < 8 ? 8000 : -8000);  // 500 Hz square
  EncodePcmu(tone.data(), tone.size(), packet.data() + 12);
  packet[0] = 0x80;
  packet[1] = 0;  // PCMU
  packet[8] = 0x12;  // SSRC
  io::DatagramBatch bytes(1024, 1 << 20);
  std::vector<ExternalDatagram> out;
  size_t heard_by_2 = 0;
  for (int seq = 0; seq < 150 && heard_by_2 < 5; seq++) {
    packet[2] = static_cast<uint8_t>(seq >> 8);
    packet[3] = static_cast<uint8_t>(seq);
    const uint32_t timestamp = static_cast<uint32_t>(seq) * 160;
    packet[4] = static_cast<uint8_t>(timestamp >> 24);
    packet[5] = static_cast<uint8_t>(timestamp >> 16);
    packet[6] = static_cast<uint8_t>(timestamp >> 8);
    packet[7] = static_cast<uint8_t>(timestamp);
    bool accepted = false;
    ASSERT_TRUE(controller_->PushPacket(1, 1, packet.data(), packet.size(), &accepted).ok());
    EXPECT_TRUE(accepted);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    controller_->TakeOutgoing(bytes, &out);
    for (const ExternalDatagram& d : out) {
      EXPECT_EQ(d.conference, 1u);
      const uint8_t* data = bytes.arena() + d.offset;
      if (d.member != 2 || d.size != 172 || (data[1] & 0x7f) != 0) continue;
      std::vector<int16_t> heard(160);
      DecodePcmu(data + 12, heard.size(), heard.data());
      if (EnergyScore(heard.data(), heard.size()) > 3000) heard_by_2++;
    }
    bytes.Clear();
  }
  EXPECT_GE(heard_by_2, 5u);
  MemberCounters counters;
  ASSERT_TRUE(controller_->MemberStats(1, 1, &counters).ok());
  ASSERT_TRUE(counters.leg.has_value());
  EXPECT_GT(counters.leg->packets_in, 0u);
}

TEST(ShardControllerStop, StoppedRefusesWithInvalidState) {
  ShardController controller(Ports(23120, 23139));
  ASSERT_TRUE(controller.Start().ok());
  controller.Stop();
  controller.Stop();
  EXPECT_EQ(controller.CreateConference(1, Conference16k(), {}).code, StatusCode::kInvalidState);
  EXPECT_EQ(controller.Start().code, StatusCode::kInvalidState);
}

}  // namespace
}  // namespace confmix::shard
