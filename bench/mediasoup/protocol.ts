// Messages between the mediasoup benchmark's runner and its bridged engine process.

/** What the bridged engine process is told (its one command-line argument, as JSON). */
export interface BridgedRoomConfig {
  /** Members joined through the bridge. */
  members: number;
  /** Of them, members sending a tone (the rest send Opus DTX). */
  talkers: number;
  /** Conference rate, Hz. */
  rate: number;
  warmupS: number;
  durationS: number;
  /** The engine's RTP port range. */
  portMin: number;
  portMax: number;
}

/** What one bridged run measured over its window. */
export interface BridgedRoomResult {
  members: number;
  talkers: number;
  /** The engine process (confmix: main thread, shard, media thread, worker pool), % of one core. */
  engineCpuPct: number;
  /** mediasoup's worker process, % of one core. */
  workerCpuPct: number;
  /** Datagrams per second each member's consumer delivered to the generator: the least served, and the mean. */
  rxPpsPerParticipantMin: number;
  rxPpsPerParticipantMean: number;
  /** The media thread's tick lateness over the window, ms. */
  tickLatenessP99Ms: number;
  tickLatenessMaxMs: number;
  /** Datagrams from no member's transport. */
  generatorStrangers: number;
  /** Time from start to the generator sending, s. */
  setupS: number;
}

/** Bridged engine process -> runner. */
export type FromBridgedRoom = { type: 'result'; result: BridgedRoomResult } | { type: 'error'; message: string };
