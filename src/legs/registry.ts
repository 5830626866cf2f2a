// The one registry of leg kinds: kind -> its check and its shard-side driver. Adding a kind means
// adding its folder and one line here; nothing in engine/ or shard/ names a kind.
import { InvalidArgumentError, UnsupportedError } from '../errors.ts';
import { checkFields, describe } from '../fields.ts';
import type { AppLeg } from './app/AppLeg.ts';
import { appLegKind } from './app/kind.ts';
import type { LegDriver, LegKind, LegRequest, WireSpec } from './LegKind.ts';
import type { ControlLeg } from './none/ControlLeg.ts';
import { NONE_LEG_REQUEST, noneLegKind } from './none/kind.ts';
import type { RtpLeg } from './rtp/RtpLeg.ts';
import type { RtpLegOptions } from './rtp/RtpLegTypes.ts';
import { checkSdpJoin, rtpLegKind, sdpLegRequest } from './rtp/kind.ts';
import type { SdpJoinContext } from './rtp/kind.ts';
import { webrtcLegKind, webrtcSdpLegRequest } from './webrtc/kind.ts';
import type { WebrtcLeg } from './webrtc/WebrtcLeg.ts';

/** Every leg kind, by name. */
export const LEG_KINDS = {
  app: appLegKind,
  rtp: rtpLegKind,
  none: noneLegKind,
  webrtc: webrtcLegKind,
} as const;

/** How a member's media arrives: an AppLeg, a new app leg at a rate, a plain RTP leg, or none. */
export type MemberLegOptions = AppLeg | { kind: 'app'; rate: number } | RtpLegOptions | { kind: 'none' };

/** The leg a member holds, by kind. */
export type MemberLeg = AppLeg | RtpLeg | WebrtcLeg | ControlLeg;

/** Kinds that are planned but not built yet: a clear UnsupportedError rather than "unknown". */
const PLANNED_KINDS = new Set(['mediasoup']);

type Kinds = typeof LEG_KINDS;
type SpecOf<K> = K extends LegKind<infer S, WireSpec> ? S : never;
type InfoOf<K> = K extends LegKind<WireSpec, infer I> ? I : never;

/** A leg kind's name. */
export type LegKindName = keyof Kinds;
/** Any kind's wire spec: what the shard opens. */
export type LegWireSpec = { [K in LegKindName]: SpecOf<Kinds[K]> }[LegKindName];
/** Any kind's answer from the shard. */
export type LegWireInfo = { [K in LegKindName]: InfoOf<Kinds[K]> }[LegKindName];

function isKind(kind: unknown): kind is LegKindName {
  return typeof kind === 'string' && Object.hasOwn(LEG_KINDS, kind);
}

/** Checks addMember's `leg`: a leg object a kind takes, `{kind, ...}`, or nothing (a member without media). */
export function normalizeLeg(value: unknown): LegRequest {
  if (value === undefined) return NONE_LEG_REQUEST;
  if (typeof value === 'object' && value !== null) {
    for (const kind of Object.values(LEG_KINDS) as LegKind[]) {
      const request = kind.fromObject?.(value);
      if (request) return request;
    }
  }
  const fields = checkFields(value, 'leg');
  if (isKind(fields.kind)) return (LEG_KINDS[fields.kind] as LegKind).parse(fields);
  if (typeof fields.kind === 'string' && PLANNED_KINDS.has(fields.kind)) {
    const hint = fields.kind === 'mediasoup' ? ': mediasoup producers join through conference.bridgeMediasoup()' : '';
    throw new UnsupportedError(`leg kind '${fields.kind}' is not available in this version${hint}`);
  }
  const kinds = Object.keys(LEG_KINDS).map((kind) => `'${kind}'`);
  throw new InvalidArgumentError(`leg must be an AppLeg, or an object with kind ${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}, got kind ${describe(fields.kind)}`);
}

/**
 * The leg of a join by SDP (`sdp`: the peer's offer, or `offer: true` for ours): a WebRTC leg when
 * `leg` is `{kind: 'webrtc', ...}`, otherwise a plain RTP leg with `rtp` options.
 */
export function sessionLegRequest(
  fields: { sdp?: unknown; offer?: unknown; rtp?: unknown; leg?: unknown },
  context: SdpJoinContext,
): LegRequest & { readonly localSdp: string | undefined } {
  if (fields.leg !== undefined) {
    const leg = checkFields(fields.leg, 'leg');
    if (leg.kind !== 'webrtc') throw new InvalidArgumentError("a member joining by SDP gets its leg from the SDP: give leg only as {kind: 'webrtc'}");
    if (fields.rtp !== undefined) throw new InvalidArgumentError('rtp options are for plain RTP legs, not a WebRTC leg');
    return webrtcSdpLegRequest(leg, fields);
  }
  return sdpLegRequest(fields, context);
}

/** Checks a join by SDP's own fields before anything else of the member is read. */
export function checkSessionJoin(fields: { sdp?: unknown; offer?: unknown }): void {
  checkSdpJoin(fields);
}

export type { SdpJoinContext };

/** The shard-side driver of a wire spec's kind; a typed error for a kind no driver serves. */
export function legDriverOf(spec: { kind: string }): LegDriver {
  if (!isKind(spec.kind)) throw Object.assign(new Error(`no leg kind '${String(spec.kind)}'`), { code: 'ERR_INVALID_ARGUMENT' });
  return LEG_KINDS[spec.kind].driver as unknown as LegDriver;
}
