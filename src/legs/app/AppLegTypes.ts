// The public shape of a PCM app leg: options, state and events.

/** How an app leg is created. */
export interface AppLegOptions {
  /** The app's sample rate, Hz: 8000, 16000, 24000, 32000 or 48000. The shard resamples. */
  rate: number;
  /** Output frames kept for a slow reader before the oldest are dropped (default 500: 10 s at 20 ms). */
  maxQueuedFrames?: number;
  /** Input written ahead of real time that write() keeps, ms (default 10 000); older input is dropped. */
  maxPendingInputMs?: number;
  /** The user's own data. */
  appData?: Record<string, unknown>;
}

/** Where an app leg is in its life: created, carrying a member's audio, or closed (final). */
export type AppLegState = 'new' | 'attached' | 'closed';

/** The events an AppLeg emits. */
export interface AppLegEvents {
  /** The leg joined a conference; frames are `frameSamples` long from now on. */
  attach: [frameSamples: number];
  /** The leg is closed (by the app, its member leaving, or its conference ending); emitted once. */
  close: [];
}

/** The message each way on the port between an app leg and its shard: one interval of mono PCM. */
export interface AppLegMessage {
  /** 16-bit mono samples at the app's rate, one conference interval long. */
  pcm: Int16Array;
}
