// What the engine needs of the shard layer, and typed requests over the conference protocol.
import type { TransferListItem } from 'node:worker_threads';
import type { ShardConferenceEvent, ShardConferenceRequests } from '../shard/conferenceProtocol.ts';
import type { ShardEvent } from '../shard/messages.ts';
import type { ShardDiedInfo } from '../shard/ShardPool.ts';

/** One shard as the engine uses it (ShardPool's Shard satisfies it). */
export interface EngineShard {
  /** The shard's index. */
  readonly id: number;
  /** Conferences placed on it. */
  readonly conferenceIds: Set<string>;
  /** True once it stopped (closed or died). */
  readonly closed: boolean;
  /** Sends a request; resolves with its result or rejects with a typed error. */
  request<T = unknown>(method: string, params?: unknown, transfer?: TransferListItem[]): Promise<T>;
}

/** The pool of shards as the engine uses it (ShardPool satisfies it). */
export interface EngineShardPool {
  /** Every shard, by index. */
  readonly shards: readonly EngineShard[];
  /** The shard a new conference goes to. */
  leastLoaded(): EngineShard;
  /** Conference events from every shard; a shard died. */
  on(event: 'event', listener: (event: ShardEvent) => void): unknown;
  on(event: 'sharddied', listener: (info: ShardDiedInfo) => void): unknown;
  /** Stops every shard. */
  close(): Promise<void>;
}

/** A request method of the conference protocol. */
export type ConferenceMethod = keyof ShardConferenceRequests;
/** Its parameters. */
export type ParamsOf<M extends ConferenceMethod> = ShardConferenceRequests[M]['params'];
/** Its result. */
export type ResultOf<M extends ConferenceMethod> = ShardConferenceRequests[M]['result'];

/** Sends one protocol request to a shard, typed by method. */
export function requestShard<M extends ConferenceMethod>(
  shard: EngineShard,
  method: M,
  params: ParamsOf<M>,
  transfer: TransferListItem[] = [],
): Promise<ResultOf<M>> {
  return shard.request<ResultOf<M>>(method, params, transfer);
}

/** A shard event narrowed to the protocol's conference events (unknown types pass as null). */
export function asConferenceEvent(event: ShardEvent): ShardConferenceEvent | null {
  switch (event.type) {
    case 'talking':
    case 'dtmf':
    case 'changed':
    case 'leave':
    case 'playback-done':
    case 'leg-timeout':
    case 'leg-ended':
    case 'rtp-rejected':
      return event as unknown as ShardConferenceEvent;
    default:
      return null;
  }
}
