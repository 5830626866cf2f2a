// A WebRTC leg's options as addMember takes them, and what crosses the shard boundary for it.
import { InvalidArgumentError } from '../../errors.ts';
import { checkFields, describe } from '../../fields.ts';

/** The codecs a WebRTC leg speaks. */
export type WebrtcCodecName = 'opus' | 'pcmu' | 'pcma';

/** A STUN or TURN server (RTCIceServer's shape). */
export interface WebrtcIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** addMember's `leg` for a WebRTC member (with `sdp`, the peer's offer, or `offer: true`). */
export interface WebrtcLegOptions {
  kind: 'webrtc';
  /** STUN/TURN servers; default [] (none is contacted). */
  iceServers?: WebrtcIceServer[];
  /** Extra addresses to gather host candidates on, besides the machine's interfaces; default ['127.0.0.1'] (a browser on this machine). */
  iceAddresses?: string[];
  /** No packet from the peer for this long removes the member (reason 'leg-timeout'); 0 = never; default 30000. */
  timeoutMs?: number;
}

/** What the shard opens for a WebRTC leg. */
export interface WebrtcLegWireSpec {
  kind: 'webrtc';
  /** The peer's offer to answer; absent when we offer. */
  offerSdp?: string;
  /** The codec we answer with (the first of Opus, PCMU, PCMA the offer has); Opus when we offer. */
  codec: WebrtcCodecName;
  /** Our Opus encoder's FEC and DTX, as the peer's fmtp asked. */
  fec: boolean;
  dtx: boolean;
  iceServers: WebrtcIceServer[];
  iceAddresses: string[];
  timeoutMs?: number;
}

/** What the shard answers: our SDP and the codec settled. */
export interface WebrtcLegWireInfo {
  kind: 'webrtc';
  /** Our answer, or our offer. */
  sdp: string;
  /** The codec's name ('opus', 'pcmu' or 'pcma'). */
  codec: string;
  /** Its payload type. */
  payloadType: number;
  /** RFC 4733's payload type, when negotiated. */
  telephoneEventPayloadType?: number;
}

/** A change the engine asks of a live WebRTC leg. */
export type WebrtcLegWireUpdate = { answerSdp: string } | { candidates: string[] };

// Loopback is not among the interfaces werift gathers on by itself.
const DEFAULT_ICE_ADDRESSES = ['127.0.0.1'];

function checkAddresses(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_ICE_ADDRESSES];
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string' || !/^[0-9.]+$|^[0-9a-f:]+$/i.test(a))) {
    throw new InvalidArgumentError(`leg.iceAddresses must be an array of IP addresses, got ${describe(value)}`);
  }
  return [...value] as string[];
}

function checkIceServers(value: unknown): WebrtcIceServer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`leg.iceServers must be an array, got ${describe(value)}`);
  return value.map((server, i) => {
    const fields = checkFields(server, `leg.iceServers[${i}]`);
    const urls = fields.urls;
    const valid = (url: unknown): boolean => typeof url === 'string' && /^(stun|stuns|turn|turns):/.test(url);
    if (!(valid(urls) || (Array.isArray(urls) && urls.length > 0 && urls.every(valid)))) {
      throw new InvalidArgumentError(`leg.iceServers[${i}].urls must be stun:/turn: URLs, got ${describe(urls)}`);
    }
    return {
      urls: urls as string | string[],
      ...(typeof fields.username === 'string' ? { username: fields.username } : {}),
      ...(typeof fields.credential === 'string' ? { credential: fields.credential } : {}),
    };
  });
}

/** Checks `{kind: 'webrtc', ...}`; InvalidArgumentError naming the field otherwise. */
export function normalizeWebrtcLeg(fields: Record<string, unknown>): Omit<WebrtcLegWireSpec, 'codec' | 'fec' | 'dtx' | 'offerSdp'> {
  for (const key of Object.keys(fields)) {
    if (!['kind', 'iceServers', 'iceAddresses', 'timeoutMs'].includes(key)) throw new InvalidArgumentError(`leg.${key} is not a WebRTC leg option`);
  }
  const { timeoutMs } = fields;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 3_600_000)) {
    throw new InvalidArgumentError(`leg.timeoutMs must be an integer 0..3600000, got ${describe(timeoutMs)}`);
  }
  return {
    kind: 'webrtc',
    iceServers: checkIceServers(fields.iceServers),
    iceAddresses: checkAddresses(fields.iceAddresses),
    ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutMs as number }),
  };
}
