// Messages between the HTTP benchmark and its server and receiver processes.
import type { LatenessFigures } from '../../src/index.ts';

/** The benchmark's one user. */
export interface BenchUser {
  userId: string;
  token: string;
  secret: string;
}

/** To the server process. */
export type ToServer =
  /** The callback window starts: reset the tick lateness, start counting events (and profiling, with `profile`, to that file). */
  | { type: 'window-start'; profile?: string }
  /** The callback window ends: its figures, with the lateness of the room `roomId`. */
  | { type: 'window-end'; roomId: string }
  | { type: 'cpu' }
  | { type: 'close' };

/** From the server process. */
export type FromServer =
  /** Its server's URL, and a bare Fastify app's (one GET route, no hooks or logs: the floor). */
  | { type: 'ready'; url: string; bareUrl: string }
  /** The server process's CPU time so far (user + system, every thread), its main thread's busy (wall) time, and its main thread's CPU time, µs. */
  | { type: 'cpu'; cpuUs: number; mainBusyUs: number; mainCpuUs: number }
  | { type: 'window-started' }
  /**
   * Over the window: callback events the engine emitted, deliveries by result, the room's own
   * lateness (its ticks' start, its datagrams' flush), and its shard's (every conference on it).
   */
  | {
      type: 'window-ended';
      events: number;
      deliveries: Record<string, number>;
      seconds: number;
      room: { tick: LatenessFigures; flush: LatenessFigures };
      roomShard: { shard: number; conferences: number; p99Ms: number; maxMs: number; overruns: number };
      shards: number;
    };

/** To the receiver process. */
export type ToReceiver = { type: 'count' } | { type: 'close' };

/** From the receiver process. */
export type FromReceiver =
  | { type: 'ready'; url: string }
  /** Requests received so far, those whose event time went back within their conference, and the receiver's CPU, µs. */
  | { type: 'count'; received: number; outOfOrder: number; cpuUs: number };
