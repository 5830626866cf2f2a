// Codec names and parameter checks shared by CreateDecoder/CreateEncoder and the bindings.
#pragma once
#include <string>

#include "core/codec/codec.h"

namespace confmix {

/** The lowercase name of a codec kind ("pcmu", "pcma", "l16", "opus"). */
const char* CodecName(CodecKind kind);
/** Parses a codec name (case-insensitive, also "PCMU"/"PCMA"/"L16"/"opus" as in SDP);
 *  false if unknown. */
bool ParseCodecName(const std::string& name, CodecKind* kind);
/** True when the params describe a codec confmix can build; otherwise says why in `error`. */
bool ValidateCodecParams(const CodecParams& params, std::string* error);
/** `params` with Opus's PCM rate set to `conference_rate` when libopus runs at it (no resampler
 *  then) and no PCM rate was chosen; anything else is returned unchanged. */
CodecParams AtConferenceRate(const CodecParams& params, int conference_rate);

}  // namespace confmix
