// The error of an SDP that cannot work, and the size check every leg kind's SDP passes first.
import { ConfmixError, InvalidArgumentError } from '../errors.ts';

/** Why an SDP cannot work: a stable code on SdpError. */
export type SdpErrorReason =
  /** Not SDP: no v=0, no m= line, non-numeric payload types ... */
  | 'malformed'
  /** No audio m-line. */
  | 'no-audio'
  /** Every audio m-line has port 0 (rejected streams). */
  | 'port-zero'
  /** The audio is not plain RTP/AVP or RTP/AVPF (SRTP, DTLS ...). */
  | 'unsupported-transport'
  /** c= missing, unparsable, multicast, or of an address type other than IP4/IP6. */
  | 'bad-connection'
  /** No codec both sides speak (L16 whose packets would exceed 1500 bytes of payload counts as unspoken). */
  | 'no-common-codec'
  /** A WebRTC offer without a DTLS fingerprint (DTLS-SRTP is mandatory). */
  | 'no-fingerprint'
  /** Larger than MAX_SDP_BYTES (64 KiB). */
  | 'too-large';

/** An SDP that cannot work; `reason` is a stable code. */
export class SdpError extends ConfmixError {
  /** Why, as a stable code ('no-common-codec', 'port-zero', ...). */
  readonly reason: SdpErrorReason;

  constructor(reason: SdpErrorReason, message: string) {
    super('ERR_SDP', message);
    this.name = 'SdpError';
    this.reason = reason;
  }
}

/** Largest SDP accepted, bytes. */
export const MAX_SDP_BYTES = 64 * 1024;

/** The peer's SDP as a string within MAX_SDP_BYTES: a non-string is the caller's mistake (InvalidArgumentError), a larger one the peer's (SdpError). */
export function checkSdpText(sdp: unknown, what: string): string {
  if (typeof sdp !== 'string') throw new InvalidArgumentError(`the ${what} SDP must be a string`);
  if (Buffer.byteLength(sdp, 'utf8') > MAX_SDP_BYTES) throw new SdpError('too-large', `the ${what} SDP is larger than ${MAX_SDP_BYTES} bytes`);
  return sdp;
}
