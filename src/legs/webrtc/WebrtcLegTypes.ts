// The public shape of a WebRTC leg: its events and figures.
export type { WebrtcIceServer, WebrtcLegOptions } from './spec.ts';

/** Events of a WebRTC leg. */
export interface WebrtcLegEvents {
  /** The leg closed (its member leaves); emitted once. */
  close: [];
}

/**
 * A WebRTC member's media figures: the media thread's counters and RTCP view of the peer's stream
 * (packetsIn, packetsReceived, fractionLost, cumulativeLost, jitterMs ...) and the peer's RTCP
 * receiver reports on ours (rttMs, remoteFractionLost, remoteCumulativeLost, remoteJitterMs), once known.
 */
export type WebrtcLegStats = Record<string, number>;
