// Helpers for engine integration tests: an app that talks and listens through an AppLeg in
// lockstep with the shard (one frame written for every frame heard), and measurements.
import { once } from 'node:events';
import type { AppLeg } from '../../src/legs/app/AppLeg.ts';
import type { DtmfEventPayload, Member, MemberChange } from '../../src/index.ts';
import { ToneGenerator, concat, goertzelAmplitude } from '../helpers/audio.ts';

/** Frames kept queued at the shard, so every tick finds input. */
const PREFILL_FRAMES = 3;

/** An app on one leg: says a tone (or silence) and records everything it hears. */
export class Talker {
  readonly leg: AppLeg;
  /** Every frame heard, in order. */
  readonly heard: Int16Array[] = [];
  #source: { next(samples: number): Int16Array } | null = null;
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  #ended = false;
  readonly ended: Promise<void>;

  constructor(leg: AppLeg) {
    this.leg = leg;
    this.ended = this.#run();
  }

  /** Sends a tone from now on. */
  say(freqHz: number, amplitude: number): void {
    this.#source = new ToneGenerator(freqHz, amplitude, this.leg.rate);
  }

  /** Sends what `source` makes from now on (a frame's worth per call). */
  play(source: { next(samples: number): Int16Array }): void {
    this.#source = source;
  }

  /** Sends silence from now on. */
  quiet(): void {
    this.#source = null;
  }

  /** Resolves once `count` more frames have been heard (rejects if the leg closes first). */
  waitFrames(count: number): Promise<void> {
    const target = this.heard.length + count;
    if (this.#ended) return Promise.reject(new Error('the leg closed'));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ count: target, resolve });
      this.ended.then(() => {
        if (this.heard.length < target) reject(new Error(`the leg closed after ${this.heard.length} of ${target} frames`));
      });
    });
  }

  /** Skips `settle` frames, then returns the next `frames` frames heard as one buffer. */
  async listen(frames: number, settle = 8): Promise<Int16Array> {
    await this.waitFrames(settle);
    const start = this.heard.length;
    await this.waitFrames(frames);
    return concat(this.heard.slice(start, start + frames));
  }

  /** The index of the next frame to be heard, to measure from. */
  mark(): number {
    return this.heard.length;
  }

  /** The `frames` frames heard from `index` on, once they have arrived. */
  async since(index: number, frames: number): Promise<Int16Array> {
    const missing = index + frames - this.heard.length;
    if (missing > 0) await this.waitFrames(missing);
    return concat(this.heard.slice(index, index + frames));
  }

  /** Everything heard from now until the leg closes. */
  async untilClosed(): Promise<Int16Array> {
    const start = this.heard.length;
    await this.ended;
    return concat(this.heard.slice(start));
  }

  #frame(): Int16Array {
    const samples = this.leg.frameSamples;
    return this.#source ? this.#source.next(samples) : new Int16Array(samples);
  }

  async #run(): Promise<void> {
    if (this.leg.frameSamples === 0) await new Promise((resolve) => this.leg.once('attach', resolve));
    for (let i = 0; i < PREFILL_FRAMES; i++) this.leg.write(this.#frame());
    for await (const frame of this.leg) {
      this.heard.push(frame);
      if (!this.leg.closed) this.leg.write(this.#frame());
      this.#waiters = this.#waiters.filter((w) => {
        if (this.heard.length < w.count) return true;
        w.resolve();
        return false;
      });
    }
    this.#ended = true;
  }
}

/** Amplitude of `freqHz` in `samples` at `rate`. */
export function amplitudeAt(samples: Int16Array, freqHz: number, rate: number): number {
  return goertzelAmplitude(samples, freqHz, rate);
}

/** 20·log10(a/b). */
export function db(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/** Presses a key through `sender` (RFC 4733) and resolves with its dtmf event once the member
 *  shows every one of `fields` changed. */
export async function pressAndWait(sender: { key(key: string): void }, member: Member, key: string, fields: Array<keyof MemberChange> = []): Promise<DtmfEventPayload> {
  const dtmf = once(member, 'dtmf') as Promise<[DtmfEventPayload]>;
  const pending = new Set(fields);
  const changed = new Promise<void>((resolve) => {
    if (pending.size === 0) return resolve();
    const listener = (change: MemberChange): void => {
      for (const field of Object.keys(change)) pending.delete(field as keyof MemberChange);
      if (pending.size > 0) return;
      member.off('change', listener);
      resolve();
    };
    member.on('change', listener);
  });
  sender.key(key);
  const [event] = await dtmf;
  await changed;
  return event;
}
