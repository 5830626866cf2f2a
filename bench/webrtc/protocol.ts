// The messages between the WebRTC benchmark (the engine's process) and its generator process.

/** To the generator. */
export type ToGenerator =
  | { type: 'offers'; count: number }
  | { type: 'answers'; sdps: string[] }
  | { type: 'rtp-sockets'; count: number }
  | { type: 'rtp-peers'; ports: number[] }
  | { type: 'count' }
  | { type: 'close' };

/** From the generator. */
export type FromGenerator =
  | { type: 'offers'; sdps: string[] }
  | { type: 'connected' }
  | { type: 'rtp-sockets'; ports: number[] }
  | { type: 'sending' }
  | { type: 'count'; received: number[] }
  | { type: 'closed' }
  | { type: 'error'; message: string };
