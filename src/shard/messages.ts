// The typed messages between the main thread and a shard's worker thread.
import type { ShardConferenceEvent, ShardMethod } from './conferenceProtocol.ts';

/** A request from the main thread; `id` pairs it with its response. */
export interface ShardRequestMessage {
  kind: 'request';
  id: number;
  method: ShardMethod;
  params: unknown;
}

/** The error half of a response, rebuilt as a typed error on the main thread. */
export interface ShardErrorPayload {
  code: string;
  message: string;
}

/** The shard's answer to one request. */
export type ShardResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: ShardErrorPayload };

/** What a shard reports about its load, pushed after every change and periodically. */
export interface ShardLoad {
  /** Conferences the shard owns. */
  conferences: number;
  /** Members across them. */
  members: number;
  /** CPU time its media thread spent ticking, ms per second of wall time. */
  tickCpuMsPerSec: number;
}

/** Events pushed up from a shard without a request. */
export type ShardPushMessage =
  | { kind: 'ready' }
  | { kind: 'load'; load: ShardLoad }
  /** A drain's events, in order, in one message (one post per tick, not per event). */
  | { kind: 'events'; events: ShardEvent[] };

/** A media or control event raised inside a shard, addressed by conference. */
export type ShardEvent = ShardConferenceEvent;

/** Any message a shard posts to the main thread. */
export type ShardToMainMessage = ShardResponseMessage | ShardPushMessage;

/** Options a shard's worker starts with (its workerData). */
export interface ShardWorkerData {
  /** The shard's index in the pool. */
  shardId: number;
  /** RTP port range this shard may bind, inclusive. */
  portMin: number;
  portMax: number;
  /** SCHED_FIFO priority of the shard's media thread where permitted (0: an ordinary thread). */
  realtimePriority: number;
}

/** What the bootstrap receives: the shard's data plus the module to run. */
export interface ShardBootstrapData extends ShardWorkerData {
  /** URL of the worker's entry module. */
  entry: string;
}
