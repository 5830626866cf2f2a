// RFC 6464 client-to-mixer audio level: a header extension element (RFC 8285, one-byte or
// two-byte form) whose first byte holds the voice-activity flag and the frame's level in -dBov
// (0 is the loudest, 127 silence). Browsers send it; a mixer can rank its members by it without
// decoding them.
#pragma once
#include <cstdint>

#include "core/rtp/rtp_packet.h"

namespace confmix::rtp {

/** One packet's client-to-mixer audio level. */
struct AudioLevel {
  uint8_t dbov = 127;  // level in -dBov: 0 loudest, 127 silence
  bool voice = false;  // the sender's voice-activity flag
};

/** Highest extension element id (RFC 8285 two-byte form); one-byte headers carry 1..14. */
constexpr int kMaxHeaderExtensionId = 255;

/** Finds element `id` (1..255) in the packet's header extension and reads it as an audio level;
 *  false when the packet has no such element (or a malformed extension). */
bool FindAudioLevel(const RtpPacketView& packet, int id, AudioLevel* out);

}  // namespace confmix::rtp
