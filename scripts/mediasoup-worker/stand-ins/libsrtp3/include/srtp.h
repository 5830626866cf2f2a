// libsrtp 3.x's calls as mediasoup's worker makes them, over Debian's libsrtp 2.5.
#pragma once
#include <srtp2/srtp.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

// 2.x has no such codes; values beyond its last one keep them distinct.
#define srtp_err_status_buffer_small static_cast<srtp_err_status_t>(28)
#define srtp_err_status_cryptex_err static_cast<srtp_err_status_t>(29)

namespace srtp3_on_srtp2 {
// 3.x reads `in` and writes `out` (of `*outLen` bytes); 2.x works in place on one buffer.
using InPlace = srtp_err_status_t (*)(srtp_t, void*, int*);
inline srtp_err_status_t Run(InPlace call, srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out,
                             size_t* outLen, size_t room) {
  if (*outLen < inLen + room) return srtp_err_status_bad_param;
  if (out != in) std::memmove(out, in, inLen);
  int len = static_cast<int>(inLen);
  const srtp_err_status_t err = call(ctx, static_cast<void*>(out), &len);
  *outLen = static_cast<size_t>(len);
  return err;
}
}  // namespace srtp3_on_srtp2

inline srtp_err_status_t srtp_protect(srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp,
                                      size_t* srtpLen, size_t /*mki*/) {
  return srtp3_on_srtp2::Run(::srtp_protect, ctx, rtp, rtpLen, srtp, srtpLen, SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_protect_rtcp(srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp,
                                           size_t* srtcpLen, size_t /*mki*/) {
  // SRTCP adds its 4-byte index before the tag.
  return srtp3_on_srtp2::Run(::srtp_protect_rtcp, ctx, rtcp, rtcpLen, srtcp, srtcpLen, SRTP_MAX_TRAILER_LEN + 4);
}

inline srtp_err_status_t srtp_unprotect(srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp,
                                        size_t* rtpLen) {
  *rtpLen = srtpLen;
  return srtp3_on_srtp2::Run(::srtp_unprotect, ctx, srtp, srtpLen, rtp, rtpLen, 0);
}

inline srtp_err_status_t srtp_unprotect_rtcp(srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp,
                                             size_t* rtcpLen) {
  *rtcpLen = srtcpLen;
  return srtp3_on_srtp2::Run(::srtp_unprotect_rtcp, ctx, srtcp, srtcpLen, rtcp, rtcpLen, 0);
}

inline srtp_err_status_t srtp_stream_remove(srtp_t ctx, uint32_t ssrc) { return srtp_remove_stream(ctx, ssrc); }
