// A WebRTC peer's SDP, read before any peer connection opens: DTLS-SRTP is mandatory, the audio
// must carry a codec we speak, and the trickled candidates of a PATCH are read here too.
import sdpTransform from 'sdp-transform';
import { SdpError, checkSdpText } from '../SdpError.ts';

/** The codecs a WebRTC leg speaks, in our order of preference. */
export const WEBRTC_CODECS = [
  { name: 'opus', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { name: 'pcmu', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
  { name: 'pcma', mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 },
] as const;

/** What a checked WebRTC offer settles before the peer connection opens. */
export interface WebrtcOfferSummary {
  /** The codec we will answer with. */
  codec: (typeof WEBRTC_CODECS)[number]['name'];
  /** Opus: the peer asked for in-band FEC (useinbandfec=1), so our encoder sends it. */
  fec: boolean;
  /** Opus: the peer accepts DTX (usedtx=1), so our encoder may use it. */
  dtx: boolean;
}

const DTLS_PROTOCOLS = new Set(['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVP']);

function fmtpOf(media: sdpTransform.MediaDescription, payload: number): Record<string, string | number | undefined> {
  const line = media.fmtp.find((f) => f.payload === payload);
  return line ? sdpTransform.parseParams(line.config) : {};
}

/**
 * Checks a WebRTC offer (SdpError with a stable reason otherwise): SDP at all ('malformed'), an
 * audio m-line ('no-audio', 'port-zero'), DTLS-SRTP ('unsupported-transport' for RTP/AVP,
 * 'no-fingerprint'), ICE credentials ('malformed'), and Opus, PCMU or PCMA ('no-common-codec').
 */
export function checkWebrtcSdp(sdp: unknown, what: 'offer' | 'answer' = 'offer'): WebrtcOfferSummary {
  const text = checkSdpText(sdp, what);
  if (!/^v=0\r?$/m.test(text.split('\n', 1)[0] ?? '')) throw new SdpError('malformed', `the ${what} is not SDP: it must start with v=0`);
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(text);
  } catch (error) {
    throw new SdpError('malformed', `the ${what} is not SDP: ${(error as Error).message}`);
  }
  const media = session.media ?? [];
  if (media.length === 0) throw new SdpError('malformed', `the ${what} is not SDP: it has no m= line`);
  const audio = media.filter((m) => m.type === 'audio');
  if (audio.length === 0) throw new SdpError('no-audio', `the ${what} has no audio m-line (it offers ${media.map((m) => m.type).join(', ')})`);
  const live = audio.find((m) => m.port !== 0);
  if (!live) throw new SdpError('port-zero', `every audio m-line of the ${what} is rejected (port 0)`);
  if (!DTLS_PROTOCOLS.has(live.protocol)) {
    throw new SdpError('unsupported-transport', `a WebRTC leg needs DTLS-SRTP (UDP/TLS/RTP/SAVPF); the ${what}'s audio is ${live.protocol}`);
  }
  if (!live.fingerprint && !session.fingerprint) throw new SdpError('no-fingerprint', `the ${what} has no a=fingerprint: DTLS-SRTP is mandatory for a WebRTC leg`);
  if (!(live.iceUfrag ?? session.iceUfrag) || !(live.icePwd ?? session.icePwd)) throw new SdpError('malformed', `the ${what} has no ICE credentials (a=ice-ufrag, a=ice-pwd)`);
  const rtp = live.rtp ?? [];
  for (const ours of WEBRTC_CODECS) {
    const format = rtp.find((r) => r.codec.toLowerCase() === ours.name && r.rate === ours.clockRate && (ours.name !== 'opus' || r.encoding === 2));
    if (!format) continue;
    const fmtp = ours.name === 'opus' ? fmtpOf(live, format.payload) : {};
    return { codec: ours.name, fec: String(fmtp.useinbandfec) === '1', dtx: String(fmtp.usedtx) === '1' };
  }
  const offered = rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`).join(', ') || 'none';
  throw new SdpError('no-common-codec', `the ${what} has no codec a WebRTC leg speaks (opus/48000/2, PCMU/8000, PCMA/8000); it offered ${offered}`);
}

/** ICE candidates trickled in an SDP fragment (RFC 8840), and whether gathering ended. */
export interface TrickleFragment {
  /** `candidate:...` attribute values, in order. */
  candidates: string[];
  /** The fragment carried a=end-of-candidates. */
  endOfCandidates: boolean;
  /** Its a=ice-ufrag, when given. */
  iceUfrag?: string;
}

/** Reads an application/trickle-ice-sdpfrag body; SdpError 'malformed' when it is none. */
export function parseTrickleFragment(fragment: unknown): TrickleFragment {
  const text = checkSdpText(fragment, 'trickle fragment');
  const result: TrickleFragment = { candidates: [], endOfCandidates: false };
  let lines = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    lines++;
    if (line.startsWith('a=candidate:')) {
      const candidate = line.slice(2);
      if (candidate.split(' ').length < 8) throw new SdpError('malformed', `a trickled candidate is incomplete: ${line}`);
      result.candidates.push(candidate);
    } else if (line === 'a=end-of-candidates') {
      result.endOfCandidates = true;
    } else if (line.startsWith('a=ice-ufrag:')) {
      result.iceUfrag = line.slice('a=ice-ufrag:'.length);
    } else if (!/^[a-z]=/.test(line)) {
      throw new SdpError('malformed', `the trickle fragment is not an SDP fragment: ${line.slice(0, 60)}`);
    }
  }
  if (lines === 0) throw new SdpError('malformed', 'the trickle fragment is empty');
  return result;
}
