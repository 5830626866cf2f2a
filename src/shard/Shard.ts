// The main thread's handle on one shard: a worker thread that owns whole conferences.
import { EventEmitter } from 'node:events';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { ConfmixError, InvalidStateError, errorFromPayload } from '../errors.ts';
import type { ShardMethod, ShardParams, ShardResult } from './conferenceProtocol.ts';
import type {
  ShardEvent,
  ShardLoad,
  ShardToMainMessage,
  ShardWorkerData,
} from './messages.ts';

/** The events a Shard emits. */
export interface ShardEvents {
  /** The worker is up and answering requests. */
  ready: [];
  /** A media or control event from one of its conferences. */
  event: [ShardEvent];
  /** Its load changed. */
  load: [ShardLoad];
  /** The worker died without being asked to close; pending requests were rejected. */
  died: [Error];
  /** The shard was closed on purpose. */
  close: [];
}

interface PendingRequest {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Raised when a shard does not answer a request in time. */
export class ShardTimeoutError extends ConfmixError {
  constructor(method: string, timeoutMs: number) {
    super('ERR_SHARD_TIMEOUT', `shard did not answer '${method}' within ${timeoutMs} ms`);
    this.name = 'ShardTimeoutError';
  }
}

// Compiled, the worker runs shardWorker.js itself. From source under a TypeScript loader (tsx,
// vitest), a bootstrap registers tsx in the worker first.
const fromSource = import.meta.url.endsWith('.ts');
const workerEntry = new URL(`./shardWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
const workerScript = fromSource ? new URL('./shardBootstrap.mjs', import.meta.url) : workerEntry;

/** One shard: spawn, typed request/response with timeouts, pushed events, death detection. */
export class Shard extends EventEmitter<ShardEvents> {
  /** The shard's index in its pool. */
  readonly id: number;
  /** Its last reported load. */
  load: ShardLoad = { conferences: 0, members: 0, tickCpuMsPerSec: 0 };
  /** Conference ids placed on it, so a death can name what was lost. */
  readonly conferenceIds = new Set<string>();

  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #requestTimeoutMs: number;
  readonly #ready: Promise<void>;
  #nextRequestId = 1;
  #closing = false;
  #exited = false;

  constructor(data: ShardWorkerData, requestTimeoutMs: number) {
    super();
    this.id = data.shardId;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#worker = new Worker(workerScript, { workerData: { ...data, entry: workerEntry.href } });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.once('ready', resolve);
      this.once('died', reject);
    });
    // A failed start is reported through `died` and the ready promise; never unhandled.
    this.#ready.catch(() => {});
    this.#worker.on('message', (message: ShardToMainMessage) => this.#onMessage(message));
    this.#worker.on('error', (error) => this.#onDeath(error));
    this.#worker.on('exit', (code) => this.#onDeath(new Error(`shard ${this.id} exited with code ${code}`)));
  }

  /** Resolves when the worker answers requests. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** True once the worker has stopped, on purpose or not. */
  get closed(): boolean {
    return this.#exited || this.#closing;
  }

  /** Sends a request and resolves with the shard's result, or rejects with its typed error. */
  request<M extends ShardMethod>(method: M, params?: ShardParams<M>, transfer: TransferListItem[] = []): Promise<ShardResult<M>> {
    if (this.closed) return Promise.reject(new InvalidStateError(`shard ${this.id} is closed`));
    const id = this.#nextRequestId++;
    return new Promise<ShardResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ShardTimeoutError(method, this.#requestTimeoutMs));
      }, this.#requestTimeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      this.#worker.postMessage({ kind: 'request', id, method, params: params ?? {} }, transfer);
    });
  }

  /** Stops the worker; resolves when it has exited. */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.#closing = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    try {
      await this.request('close', {});
    } catch {
      // A shard that cannot answer is terminated below all the same.
    }
    await this.#worker.terminate();
    await exited;
  }

  /** Ends the worker at once, as a crash would (for supervision and its tests). */
  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #onMessage(message: ShardToMainMessage): void {
    switch (message.kind) {
      case 'response': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(errorFromPayload(message.error));
        return;
      }
      case 'ready':
        this.emit('ready');
        return;
      case 'load':
        this.load = message.load;
        this.emit('load', message.load);
        return;
      case 'events':
        for (const event of message.events) this.emit('event', event);
        return;
    }
  }

  #onDeath(error: Error): void {
    if (this.#exited) return;
    this.#exited = true;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new InvalidStateError(`shard ${this.id} stopped before answering '${pending.method}'`));
      this.#pending.delete(id);
    }
    if (this.#closing) this.emit('close');
    else this.emit('died', error);
  }
}
