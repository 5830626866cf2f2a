// The main thread's pool of shards: placement, supervision and replacement.
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, InvalidStateError } from '../errors.ts';
import { Shard } from './Shard.ts';
import type { ShardEvent } from './messages.ts';

/** Options for a pool of shards. */
export interface ShardPoolOptions {
  /** How many shards (worker threads, each with a native media thread); default: the core count. */
  shards?: number;
  /** First and last UDP port for RTP, inclusive; split evenly between shards. The default,
   *  16384-32767, stays below Linux's ephemeral range. */
  portMin?: number;
  portMax?: number;
  /** How long a request to a shard may take before it fails. */
  requestTimeoutMs?: number;
  /** SCHED_FIFO priority of each shard's media thread where the process may set it (1..99), so
   *  ticks start on time on a busy machine; 0 keeps ordinary threads. Default 10. */
  realtimePriority?: number;
}

/** Raised (as the pool's `sharddied` event) when a shard died and was replaced. */
export interface ShardDiedInfo {
  /** The index of the shard that died (its replacement takes the same index). */
  shardId: number;
  /** Conferences that were on it and are lost. */
  conferenceIds: string[];
  /** What killed it. */
  error: Error;
}

/** The events a ShardPool emits. */
export interface ShardPoolEvents {
  /** An event from a conference on any shard. */
  event: [ShardEvent];
  /** A shard died; its replacement is starting. */
  sharddied: [ShardDiedInfo];
  /** A replacement shard is up. */
  shardreplaced: [number];
}

/** N shards, each a worker thread that owns whole conferences. */
export class ShardPool extends EventEmitter<ShardPoolEvents> {
  readonly #shards: Shard[] = [];
  readonly #requestTimeoutMs: number;
  readonly #realtimePriority: number;
  readonly #portRanges: Array<[number, number]>;
  #closed = false;

  private constructor(count: number, portMin: number, portMax: number, requestTimeoutMs: number, realtimePriority: number) {
    super();
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#realtimePriority = realtimePriority;
    const span = Math.floor((portMax - portMin + 1) / count);
    this.#portRanges = Array.from({ length: count }, (_, i) => [portMin + i * span, portMin + (i + 1) * span - 1]);
  }

  /** Starts the shards and resolves when every one answers. */
  static async create(options: ShardPoolOptions = {}): Promise<ShardPool> {
    const count = options.shards ?? availableParallelism();
    const portMin = options.portMin ?? 16384;
    const portMax = options.portMax ?? 32767;
    const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    const realtimePriority = options.realtimePriority ?? 10;
    if (!Number.isInteger(count) || count < 1 || count > 256) {
      throw new InvalidArgumentError(`shards must be an integer from 1 to 256, got ${String(options.shards)}`);
    }
    if (!Number.isInteger(portMin) || !Number.isInteger(portMax) || portMin < 1024 || portMax > 65535 || portMax - portMin + 1 < 2 * count) {
      throw new InvalidArgumentError(`port range ${portMin}-${portMax} must lie in 1024-65535 and hold at least two ports per shard`);
    }
    if (!Number.isFinite(requestTimeoutMs) || requestTimeoutMs <= 0) {
      throw new InvalidArgumentError(`requestTimeoutMs must be a positive number, got ${String(options.requestTimeoutMs)}`);
    }
    if (!Number.isInteger(realtimePriority) || realtimePriority < 0 || realtimePriority > 99) {
      throw new InvalidArgumentError(`realtimePriority must be an integer from 0 to 99, got ${String(options.realtimePriority)}`);
    }
    const pool = new ShardPool(count, portMin, portMax, requestTimeoutMs, realtimePriority);
    for (let i = 0; i < count; i++) pool.#shards.push(pool.#spawn(i));
    try {
      await Promise.all(pool.#shards.map((shard) => shard.ready()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** The shards, by index. */
  get shards(): readonly Shard[] {
    return this.#shards;
  }

  /** The least-loaded live shard: fewest members, then least tick CPU, then fewest conferences. */
  leastLoaded(): Shard {
    if (this.#closed) throw new InvalidStateError('the shard pool is closed');
    const live = this.#shards.filter((shard) => !shard.closed);
    if (live.length === 0) throw new InvalidStateError('no shard is running');
    return live.reduce((best, shard) => (compareLoad(shard, best) < 0 ? shard : best));
  }

  /** The shard that owns a conference. */
  shardOf(conferenceId: string): Shard | undefined {
    return this.#shards.find((shard) => shard.conferenceIds.has(conferenceId));
  }

  /** Stops every shard; resolves when all have exited. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#shards.map((shard) => shard.close()));
  }

  #spawn(index: number): Shard {
    const [portMin, portMax] = this.#portRanges[index];
    const shard = new Shard({ shardId: index, portMin, portMax, realtimePriority: this.#realtimePriority }, this.#requestTimeoutMs);
    shard.on('event', (event) => this.emit('event', event));
    shard.on('died', (error) => this.#onShardDied(shard, error));
    return shard;
  }

  #onShardDied(shard: Shard, error: Error): void {
    if (this.#closed) return;
    const replacement = this.#spawn(shard.id);
    this.#shards[shard.id] = replacement;
    this.emit('sharddied', { shardId: shard.id, conferenceIds: [...shard.conferenceIds], error });
    replacement.ready().then(
      () => this.emit('shardreplaced', shard.id),
      () => {}, // its own death is handled by the same path
    );
  }
}

function compareLoad(a: Shard, b: Shard): number {
  return (
    a.load.members - b.load.members ||
    a.load.tickCpuMsPerSec - b.load.tickCpuMsPerSec ||
    a.load.conferences - b.load.conferences ||
    a.id - b.id
  );
}
