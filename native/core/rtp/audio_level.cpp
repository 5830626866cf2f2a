#include "core/rtp/audio_level.h"

namespace confmix::rtp {

namespace {
constexpr uint16_t kOneByteProfile = 0xBEDE;
constexpr uint16_t kTwoByteProfileMask = 0xFFF0;
constexpr uint16_t kTwoByteProfile = 0x1000;

AudioLevel ReadLevel(uint8_t byte) {
  AudioLevel level;
  level.voice = (byte & 0x80) != 0;
  level.dbov = byte & 0x7F;
  return level;
}
}  // namespace

bool FindAudioLevel(const RtpPacketView& packet, int id, AudioLevel* out) {
  if (!packet.extension || packet.extension_data == nullptr || id < 1 || id > kMaxHeaderExtensionId) return false;
  const uint8_t* data = packet.extension_data;
  const size_t size = packet.extension_size;
  if (packet.extension_profile == kOneByteProfile) {
    for (size_t at = 0; at < size;) {
      const int element = data[at] >> 4;
      if (element == 0) {  // padding
        ++at;
        continue;
      }
      if (element == 15) return false;  // reserved: stop reading
      const size_t length = static_cast<size_t>(data[at] & 0x0F) + 1;
      if (at + 1 + length > size) return false;
      if (element == id) {
        *out = ReadLevel(data[at + 1]);
        return true;
      }
      at += 1 + length;
    }
    return false;
  }
  if ((packet.extension_profile & kTwoByteProfileMask) == kTwoByteProfile) {
    for (size_t at = 0; at < size;) {
      const int element = data[at];
      if (element == 0) {
        ++at;
        continue;
      }
      if (at + 2 > size) return false;
      const size_t length = data[at + 1];
      if (at + 2 + length > size) return false;
      if (element == id && length >= 1) {
        *out = ReadLevel(data[at + 2]);
        return true;
      }
      at += 2 + length;
    }
  }
  return false;
}

}  // namespace confmix::rtp
