// The PCM app leg, main-thread side: an app (bot, recorder, test) talks and listens in a
// conference with 16-bit mono frames at a rate it chooses.
//
// Transport: a MessageChannel opened when the leg joins a conference. One port stays here, the
// other is transferred to the shard in the addMember request (`leg.port`). Each way, a message is
// `{pcm: Int16Array}` holding exactly one conference interval at the app's rate; the shard
// resamples to and from the conference rate, mixes one input frame per tick, and sends the
// member's output frame after every tick.
//
// Pacing: the shard keeps only a short input queue, so the leg sends in real time. It sends
// PREFILL_FRAMES frames at once, then one more for each output frame that comes back (one per
// tick). What the app writes ahead waits here: write() keeps up to maxPendingInputMs (older input
// is dropped), and the `writable` stream applies backpressure instead, so piping a file into it
// plays the file at its natural speed.
//
// The app reads what the member hears with the `readable` stream or `for await (const frame of
// leg)`. Both read the same queue, so use one of them.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, InvalidStateError } from '../../errors.ts';
import type { AppLegEvents, AppLegMessage, AppLegOptions, AppLegState } from './AppLegTypes.ts';

/** Rates an app leg may use, Hz. */
export const APP_LEG_RATES: readonly number[] = [8000, 16000, 24000, 32000, 48000];

/** Frames sent ahead of the shard's clock, so every tick finds input. */
export const PREFILL_FRAMES = 3;
/** Pending input above which the writable stream holds back its writer, in frames. */
const WRITABLE_HIGH_WATER_FRAMES = 10;
const DEFAULT_MAX_QUEUED_FRAMES = 500;
const DEFAULT_MAX_PENDING_INPUT_MS = 10_000;

/** One member's PCM connection to the app. Create it with `engine.createAppLeg()`. */
export class AppLeg extends EventEmitter<AppLegEvents> {
  /** Unique id of the leg. */
  readonly id: string = `appleg-${randomUUID()}`;
  /** Always 'app'. */
  readonly kind = 'app' as const;
  /** The app's sample rate, Hz. */
  readonly rate: number;
  /** The user's own data. */
  readonly appData: Record<string, unknown>;

  readonly #maxQueuedFrames: number;
  readonly #maxPendingSamples: number;
  #state: AppLegState = 'new';
  #closedByShard = false;
  #port: MessagePort | undefined;
  #frameSamples = 0;
  // Input not yet sent: whole writes before attach, then the tail shorter than a frame.
  #pendingInput: Int16Array[] = [];
  #pendingSamples = 0;
  #droppedInputSamples = 0;
  // Frames the shard may take now: PREFILL_FRAMES at first, one more per output frame.
  #credit = 0;
  // A writable write waiting for the pending input to drain.
  #writableCallback: ((error?: Error | null) => void) | undefined;
  // Output heard but not yet read.
  readonly #output: Int16Array[] = [];
  #droppedFrames = 0;
  #framesReceived = 0;
  readonly #waiters: Array<(result: IteratorResult<Int16Array>) => void> = [];
  #readable: Readable | undefined;
  #readableWants = false;
  #readableEnded = false;
  #writable: Writable | undefined;
  #oddByte: number | undefined;

  /** Use `engine.createAppLeg()`; throws InvalidArgumentError for a bad option. */
  constructor(options: AppLegOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('app leg options must be an object');
    if (!APP_LEG_RATES.includes(options.rate)) {
      throw new InvalidArgumentError(`app leg rate must be one of ${APP_LEG_RATES.join(', ')} Hz, got ${String(options.rate)}`);
    }
    const maxQueued = options.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
    if (!Number.isInteger(maxQueued) || maxQueued < 1 || maxQueued > 100_000) {
      throw new InvalidArgumentError(`maxQueuedFrames must be an integer from 1 to 100000, got ${String(options.maxQueuedFrames)}`);
    }
    const pendingMs = options.maxPendingInputMs ?? DEFAULT_MAX_PENDING_INPUT_MS;
    if (!Number.isInteger(pendingMs) || pendingMs < 0 || pendingMs > 600_000) {
      throw new InvalidArgumentError(`maxPendingInputMs must be an integer from 0 to 600000, got ${String(options.maxPendingInputMs)}`);
    }
    if (options.appData !== undefined && (options.appData === null || typeof options.appData !== 'object')) {
      throw new InvalidArgumentError('appData must be an object');
    }
    this.rate = options.rate;
    this.appData = options.appData ?? {};
    this.#maxQueuedFrames = maxQueued;
    this.#maxPendingSamples = Math.round((options.rate * pendingMs) / 1000);
  }

  /** 'new', 'attached' or 'closed'. */
  get state(): AppLegState {
    return this.#state;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Samples in one frame at the app's rate (0 until the leg joins a conference). */
  get frameSamples(): number {
    return this.#frameSamples;
  }

  /** Output frames dropped because the app read too slowly. */
  get droppedFrames(): number {
    return this.#droppedFrames;
  }

  /** Input samples dropped because write() ran more than maxPendingInputMs ahead. */
  get droppedInputSamples(): number {
    return this.#droppedInputSamples;
  }

  /** Input samples waiting to be sent (written ahead of real time). */
  get pendingInputSamples(): number {
    return this.#pendingSamples;
  }

  /** Output frames received so far. */
  get framesReceived(): number {
    return this.#framesReceived;
  }

  /** Queues 16-bit mono samples at the app's rate, of any length; sent in frames of one interval, in real time. */
  write(pcm: Int16Array): void {
    if (!(pcm instanceof Int16Array)) throw new InvalidArgumentError('write() takes an Int16Array of samples');
    if (this.#state === 'closed') throw new InvalidStateError(`app leg ${this.id} is closed`);
    if (pcm.length === 0) return;
    this.#queueInput(pcm.slice());
    this.#trimPendingInput();
  }

  /** A writable stream of samples: Int16Array chunks, or Buffers of 16-bit little-endian PCM. */
  get writable(): Writable {
    this.#writable ??= new Writable({
      objectMode: true,
      decodeStrings: false,
      write: (chunk: unknown, _encoding, callback) => {
        if (this.#state === 'closed') return callback(new InvalidStateError(`app leg ${this.id} is closed`));
        if (chunk instanceof Int16Array) this.#queueInput(chunk.slice());
        else if (chunk instanceof Uint8Array) this.#queueInput(this.#samplesOfBytes(chunk));
        else return callback(new InvalidArgumentError('the writable takes Int16Array or Buffer chunks'));
        // Hold the writer back while more than a few frames wait: the file plays in real time.
        if (this.#pendingSamples > this.#writableHighWater()) this.#writableCallback = callback;
        else callback();
      },
    });
    return this.#writable;
  }

  /** A readable stream of the frames the member hears (Int16Array, one interval each). */
  get readable(): Readable {
    if (!this.#readable) {
      this.#readable = new Readable({ objectMode: true, highWaterMark: 8, read: () => this.#feedReadable() });
    }
    return this.#readable;
  }

  /** Iterates the frames the member hears; ends when the leg closes. Breaking out keeps the leg open. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Int16Array> {
    const iterator: AsyncIterableIterator<Int16Array> = {
      next: () => this.#nextFrame(),
      return: async () => ({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** True when the shard's side of the channel closed first (its member was removed there, or the shard died). */
  get closedByShard(): boolean {
    return this.#closedByShard;
  }

  /** Closes the leg: its member leaves the conference and the readers end. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#port) {
      this.#port.removeAllListeners('message');
      this.#port.close();
      this.#port = undefined;
    }
    for (const waiter of this.#waiters.splice(0)) {
      waiter({ done: true, value: undefined });
    }
    const writableCallback = this.#writableCallback;
    this.#writableCallback = undefined;
    writableCallback?.(new InvalidStateError(`app leg ${this.id} closed`));
    this.#endReadableIfDrained();
    this.emit('close');
  }

  /**
   * Internal, for the conference: opens the channel for a conference of `intervalMs` and returns
   * the port to transfer to the shard. Pending input is sent once the shard holds the port.
   */
  attach(intervalMs: number): MessagePort {
    if (this.#state !== 'new') throw new InvalidStateError(`app leg ${this.id} is ${this.#state}; a leg joins one conference once`);
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#frameSamples = Math.round((this.rate * intervalMs) / 1000);
    this.#state = 'attached';
    this.#credit = PREFILL_FRAMES;
    this.#port.on('message', (message: AppLegMessage) => this.#onMessage(message));
    this.#port.on('close', () => {
      this.#closedByShard = true;
      this.close();
    });
    this.#flushInput();
    this.emit('attach', this.#frameSamples);
    return channel.port2;
  }

  /** Internal, for the conference: the join failed before the shard took the port; the leg is new again. */
  detach(): void {
    if (this.#state !== 'attached' || !this.#port) return;
    this.#port.removeAllListeners();
    this.#port.close();
    this.#port = undefined;
    this.#frameSamples = 0;
    this.#credit = 0;
    this.#state = 'new';
  }

  #samplesOfBytes(bytes: Uint8Array): Int16Array {
    let data = bytes;
    if (this.#oddByte !== undefined) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.#oddByte;
      data.set(bytes, 1);
      this.#oddByte = undefined;
    }
    const count = data.length >> 1;
    if (data.length % 2 === 1) this.#oddByte = data[data.length - 1];
    const view = new DataView(data.buffer, data.byteOffset, count * 2);
    const samples = new Int16Array(count);
    for (let i = 0; i < count; i++) samples[i] = view.getInt16(i * 2, true);
    return samples;
  }

  #queueInput(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.#pendingInput.push(samples);
    this.#pendingSamples += samples.length;
    this.#flushInput();
  }

  #writableHighWater(): number {
    return (this.#frameSamples || Math.round(this.rate / 50)) * WRITABLE_HIGH_WATER_FRAMES;
  }

  #trimPendingInput(): void {
    while (this.#pendingSamples > this.#maxPendingSamples && this.#pendingInput.length > 0) {
      const excess = this.#pendingSamples - this.#maxPendingSamples;
      const first = this.#pendingInput[0];
      if (first.length <= excess) {
        this.#pendingInput.shift();
        this.#pendingSamples -= first.length;
        this.#droppedInputSamples += first.length;
      } else {
        this.#pendingInput[0] = first.subarray(excess);
        this.#pendingSamples -= excess;
        this.#droppedInputSamples += excess;
      }
    }
  }

  // Sends as many whole frames as the shard may take now; keeps the rest.
  #flushInput(): void {
    const port = this.#port;
    const size = this.#frameSamples;
    if (!port || size === 0) return;
    while (this.#credit > 0 && this.#pendingSamples >= size) {
      const frame = new Int16Array(size);
      let filled = 0;
      while (filled < size) {
        const head = this.#pendingInput[0];
        const take = Math.min(head.length, size - filled);
        frame.set(head.subarray(0, take), filled);
        filled += take;
        if (take === head.length) this.#pendingInput.shift();
        else this.#pendingInput[0] = head.subarray(take);
      }
      this.#pendingSamples -= size;
      this.#credit--;
      port.postMessage({ pcm: frame } satisfies AppLegMessage, [frame.buffer]);
    }
    if (this.#writableCallback && this.#pendingSamples <= this.#writableHighWater()) {
      const callback = this.#writableCallback;
      this.#writableCallback = undefined;
      callback();
    }
  }

  #onMessage(message: AppLegMessage): void {
    const pcm = message?.pcm;
    if (!(pcm instanceof Int16Array) || this.#state === 'closed') return;
    this.#framesReceived++;
    // One tick went by: the shard may take one more frame.
    this.#credit = Math.min(PREFILL_FRAMES, this.#credit + 1);
    this.#flushInput();
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter({ done: false, value: pcm });
      return;
    }
    if (this.#readable && this.#readableWants && this.#output.length === 0) {
      this.#readableWants = this.#readable.push(pcm);
      return;
    }
    this.#output.push(pcm);
    if (this.#output.length > this.#maxQueuedFrames) {
      this.#output.shift();
      this.#droppedFrames++;
    }
  }

  #nextFrame(): Promise<IteratorResult<Int16Array>> {
    const frame = this.#output.shift();
    if (frame) return Promise.resolve({ done: false, value: frame });
    if (this.#state === 'closed') return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #feedReadable(): void {
    const readable = this.#readable;
    if (!readable) return;
    this.#readableWants = true;
    while (this.#readableWants && this.#output.length > 0) {
      this.#readableWants = readable.push(this.#output.shift());
    }
    this.#endReadableIfDrained();
  }

  #endReadableIfDrained(): void {
    if (this.#readable && !this.#readableEnded && this.#state === 'closed' && this.#output.length === 0) {
      this.#readableEnded = true;
      this.#readable.push(null);
    }
  }
}
