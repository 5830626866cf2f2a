// What the engine needs of the shard layer, and the channels its entities send their own requests
// through: a conference's channel is bound to its id, a member's to its conference and number.
import type { TransferListItem } from 'node:worker_threads';
import type { ShardConferenceEvent, ShardMethod, ShardParams, ShardResult } from '../shard/conferenceProtocol.ts';
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
  request<M extends ShardMethod>(method: M, params?: ShardParams<M>, transfer?: TransferListItem[]): Promise<ShardResult<M>>;
}

/** The pool of shards as the engine uses it (ShardPool satisfies it). */
export interface EngineShardPool {
  /** Every shard, by index. */
  readonly shards: readonly EngineShard[];
  /** The shard a new conference goes to. */
  leastLoaded(): EngineShard;
  /** Conference events from every shard; a shard died. */
  on(event: 'event', listener: (event: ShardConferenceEvent) => void): unknown;
  on(event: 'sharddied', listener: (info: ShardDiedInfo) => void): unknown;
  /** Stops every shard. */
  close(): Promise<void>;
}

/** Methods addressed to one conference. */
type ConferenceMethod = { [M in ShardMethod]: ShardParams<M> extends { conferenceId: string } ? M : never }[ShardMethod];
/** Methods addressed to one member. */
type MemberMethod = { [M in ConferenceMethod]: ShardParams<M> extends { member: number } ? M : never }[ConferenceMethod];

/** A conference's requests to its shard, bound to its id. */
export class ConferenceChannel {
  /** The conference's id. */
  readonly conferenceId: string;
  /** The shard that holds it. */
  readonly shard: EngineShard;

  /** A channel for one conference on one shard. */
  constructor(shard: EngineShard, conferenceId: string) {
    this.shard = shard;
    this.conferenceId = conferenceId;
  }

  /** Sends one request about this conference. */
  request<M extends ConferenceMethod>(method: M, params: Omit<ShardParams<M>, 'conferenceId'>, transfer: TransferListItem[] = []): Promise<ShardResult<M>> {
    return this.shard.request(method, { ...params, conferenceId: this.conferenceId } as ShardParams<M>, transfer);
  }

  /** A channel bound to one of its members. */
  member(number: number): MemberChannel {
    return new MemberChannel(this, number);
  }
}

/** A member's requests to its shard, bound to its conference and number. */
export class MemberChannel {
  /** The member's number in the shard protocol. */
  readonly number: number;
  readonly #conference: ConferenceChannel;

  /** A channel for one member of a conference. */
  constructor(conference: ConferenceChannel, number: number) {
    this.#conference = conference;
    this.number = number;
  }

  /** Sends one request about this member. */
  request<M extends MemberMethod>(method: M, params: Omit<ShardParams<M>, 'conferenceId' | 'member'>, transfer: TransferListItem[] = []): Promise<ShardResult<M>> {
    return this.#conference.request(method, { ...params, member: this.number } as unknown as Omit<ShardParams<M>, 'conferenceId'>, transfer);
  }
}
