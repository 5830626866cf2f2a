// How the softphone reaches a conference's media: one small interface, so another transport (a
// mediasoup bridge, say) can stand beside the werift one without touching the page.

/** Who joins where. */
export interface JoinRequest {
  /** The conference's id. */
  conferenceId: string;
  /** The display name (sent as the member's callId). */
  name: string;
  /** The microphone. */
  microphone: MediaStream;
}

/** A joined call. */
export interface CallSession {
  /** The member's id on the server. */
  readonly memberId: string;
  /** The member's URL (the Location of the join). */
  readonly memberUrl: string;
  /** What the conference sends us. */
  readonly remoteStream: MediaStream;
  /** Sends one DTMF key (0-9, *, #) as RFC 4733 events. */
  sendDtmf(key: string): void;
  /** Calls `listener` once if the media connection is lost. */
  onLost(listener: (why: string) => void): void;
  /** Leaves the conference and closes the media. */
  leave(): Promise<void>;
}

/**
 * A joined call's session: leave() removes the member (DELETE) and then closes the media;
 * `watch` reports connection states, of which failed and disconnected (before leaving) are a loss.
 */
export function callSession(parts: {
  memberId: string;
  memberUrl: string;
  remoteStream: MediaStream;
  sendDtmf(key: string): void;
  remove(url: string): Promise<unknown>;
  close(): void;
  watch(report: (state: string) => void): void;
}): CallSession {
  let lost: (why: string) => void = () => {};
  let leaving = false;
  parts.watch((state) => {
    if (!leaving && (state === 'failed' || state === 'disconnected')) lost(`the media connection is ${state}`);
  });
  return {
    memberId: parts.memberId,
    memberUrl: parts.memberUrl,
    remoteStream: parts.remoteStream,
    sendDtmf: (key) => parts.sendDtmf(key),
    onLost: (listener) => {
      lost = listener;
    },
    leave: async () => {
      leaving = true;
      try {
        await parts.remove(parts.memberUrl);
      } finally {
        parts.close();
      }
    },
  };
}

/** A way to join. */
export interface SoftphoneTransport {
  /** Its name, shown on the page. */
  readonly name: string;
  /** Joins; rejects with a JoinError the page can show. */
  join(request: JoinRequest): Promise<CallSession>;
}

/** A refused or failed join, with a message for people. */
export class JoinError extends Error {
  /** The server's code ('ERR_NOT_FOUND', 'ERR_INVALID_STATE' ...) or 'network'. */
  readonly code: string;
  /** The refusal's reason ('locked', 'full'), when the server gave one. */
  readonly reason: string | undefined;

  constructor(code: string, message: string, reason?: string) {
    super(message);
    this.name = 'JoinError';
    this.code = code;
    this.reason = reason;
  }
}
